package org.cijwt.vault;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Parsed TLS material for the connection to Vault: the certificates to trust (empty: the JVM's
 * default trust) and an optional client certificate with its key. Parsed and checked when the
 * settings are loaded, so a bad PEM never waits for the first handshake.
 */
public record TlsMaterial(List<X509Certificate> trustAnchors, Optional<ClientCertificate> clientCertificate) {

    /** No material: the JVM's default trust and no client certificate. */
    public static final TlsMaterial NONE = new TlsMaterial(List.of(), Optional.empty());

    public TlsMaterial {
        trustAnchors = List.copyOf(trustAnchors);
        Objects.requireNonNull(clientCertificate, "clientCertificate");
    }

    /** Whether neither trust anchors nor a client certificate are given. */
    public boolean isEmpty() {
        return trustAnchors.isEmpty() && clientCertificate.isEmpty();
    }

    /** A client certificate chain (leaf first) and the private key of the leaf. */
    public record ClientCertificate(List<X509Certificate> chain, PrivateKey key) {
        public ClientCertificate {
            chain = List.copyOf(chain);
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("a client certificate chain needs at least one certificate");
            }
            Objects.requireNonNull(key, "key");
        }

        /** The leaf's subject; the key is left out. */
        @Override
        public String toString() {
            return "ClientCertificate[" + chain.get(0).getSubjectX500Principal().getName() + ", key=<redacted>]";
        }
    }

    /** Counts only: which material is present, never a key. */
    @Override
    public String toString() {
        return "TlsMaterial[trustAnchors=" + trustAnchors.size() + ", clientCertificate="
                + clientCertificate.map(ClientCertificate::toString).orElse("none") + "]";
    }
}
