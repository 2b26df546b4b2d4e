package org.cijwt.vault;

import java.util.Objects;
import org.cijwt.vault.client.TlsMaterial;

/**
 * A pipeline's Vault var source entry that the operator's settings have admitted, with the TLS
 * material its connection uses (its own PEM or the operator's files); the only way to obtain one is
 * {@link VaultOperatorSettings#admit}, so a {@link VaultJwtVarSource} never talks to an address or
 * auth mount the operator did not allow.
 */
public final class AdmittedVarSource {

    private final VaultVarSourceConfig config;
    private final TlsMaterial tls;

    AdmittedVarSource(VaultVarSourceConfig config, TlsMaterial tls) {
        this.config = Objects.requireNonNull(config, "config");
        this.tls = Objects.requireNonNull(tls, "tls");
    }

    /** The pipeline's entry as written and validated. */
    public VaultVarSourceConfig config() {
        return config;
    }

    /** The TLS material of the connection: trust anchors and client certificate, from the pipeline or the operator. */
    public TlsMaterial tls() {
        return tls;
    }

    @Override
    public String toString() {
        return "AdmittedVarSource[" + config.name() + " at " + config.address() + ", " + tls + "]";
    }
}
