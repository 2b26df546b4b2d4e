package org.cijwt.vault.client;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.KeyPairProbe;
import org.cijwt.keys.PemReader;

/**
 * Parsed TLS material for the connection to Vault: the certificates to trust (empty: the JVM's
 * default trust) and an optional client certificate with its key. Whoever reads the settings parses
 * the PEM with core's {@link PemReader} when they are loaded, so a bad PEM never waits for the first
 * handshake; {@link #sslContext} is the one place a context is made from it.
 *
 * <p>The Vault Java Driver's {@code SslConfig} is not used: it reads RSA client keys only and one
 * CA certificate, offers TLS 1.2 only, and consults {@code VAULT_SSL_CERT} from the environment.
 */
public record TlsMaterial(List<X509Certificate> trustAnchors, Optional<ClientCertificate> clientCertificate) {

    /** No material: the JVM's default trust and no client certificate. */
    public static final TlsMaterial NONE = new TlsMaterial(List.of(), Optional.empty());

    private static final char[] IN_MEMORY = "in-memory".toCharArray();

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

        /**
         * The chain and its key, once the key is known to be the private half of the chain's first
         * certificate (signing a random challenge), so a wrong pair fails at start-up.
         *
         * @param keyFailure names the key's setting
         * @param certificate names the certificate's setting or file in the rule
         */
        public static ClientCertificate of(List<X509Certificate> chain, PrivateKey key, PemReader.Failure keyFailure,
                                           String certificate) throws CiJwtException {
            if (!KeyPairProbe.belongTogether(key, chain.get(0).getPublicKey())) {
                throw keyFailure.because("is not the private key of the first certificate in " + certificate);
            }
            return new ClientCertificate(chain, key);
        }

        /** The leaf's subject; the key is left out. */
        @Override
        public String toString() {
            return "ClientCertificate[" + chain.get(0).getSubjectX500Principal().getName() + ", key=<redacted>]";
        }
    }

    /**
     * The context for this material, or empty when it is {@link #NONE} and the JVM's default serves.
     *
     * @param setting names the settings in an error, e.g. {@code var_sources[0].config}
     */
    public Optional<SSLContext> sslContext(String setting) throws CiJwtException {
        if (isEmpty()) {
            return Optional.empty();
        }
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (trustAnchors.isEmpty()) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore trust = emptyStore();
                for (int i = 0; i < trustAnchors.size(); i++) {
                    trust.setCertificateEntry("ca-" + i, trustAnchors.get(i));
                }
                tmf.init(trust);
            }
            KeyManagerFactory kmf = null;
            if (clientCertificate.isPresent()) {
                ClientCertificate client = clientCertificate.get();
                KeyStore keys = emptyStore();
                keys.setKeyEntry("client", client.key(), IN_MEMORY, client.chain().toArray(new Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, IN_MEMORY);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return Optional.of(context);
        } catch (GeneralSecurityException | IOException e) {
            throw new CiJwtException(ErrorCode.TLS_INVALID, setting + ": the TLS material cannot be used ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    /** Counts only: which material is present, never a key. */
    @Override
    public String toString() {
        return "TlsMaterial[trustAnchors=" + trustAnchors.size() + ", clientCertificate="
                + clientCertificate.map(ClientCertificate::toString).orElse("none") + "]";
    }
}
