package org.cijwt.vault;

import org.cijwt.errors.CiJwtException;

/** Test shorthand: operator settings that allow exactly the entry's own address and auth mount, and nothing else. */
final class Admit {

    private Admit() {
    }

    static AdmittedVarSource own(VaultVarSourceConfig config) throws CiJwtException {
        return VaultOperatorSettings.builder().allowAddress(config.url()).allowAuthPath(config.qualifiedAuthPath())
                .build().admit(config);
    }
}
