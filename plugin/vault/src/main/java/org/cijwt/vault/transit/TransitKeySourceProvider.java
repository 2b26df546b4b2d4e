package org.cijwt.vault.transit;

import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.KeySourceProvider;
import org.cijwt.keys.KeySources;

/** Registers {@code --keys transit:MOUNT/KEY} with the plugin's {@link KeySources}. */
public final class TransitKeySourceProvider implements KeySourceProvider {
    public static final String SCHEME = "transit";

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public KeySource open(String location, KeySources.Options options) throws CiJwtException {
        TransitKeyName name = TransitKeyName.parse(location);
        if (options.keyId() != null) {
            throw new CiJwtException(ErrorCode.OPTIONS_CONFLICT, "setting key_id names a key in a JWKS file; with keys transit:"
                    + name + " the key is named by MOUNT/KEY and each version's kid is its thumbprint");
        }
        return new TransitKeySource(name, TransitSettings.load(options.env()), options.clock());
    }
}
