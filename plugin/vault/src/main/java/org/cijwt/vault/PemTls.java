package org.cijwt.vault;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.KeyPairProbe;
import org.cijwt.keys.PemReader;

/**
 * PEM text to certificates and keys (read by core's {@link PemReader}), and {@link TlsMaterial} to an
 * {@link SSLContext}. Errors name the setting's path and never quote the PEM.
 */
final class PemTls {

    /** What every PEM value starts with; text without it is not PEM, whatever else it may name. */
    static final String PEM_BEGIN = "-----BEGIN ";

    private static final char[] IN_MEMORY = "in-memory".toCharArray();

    private PemTls() {
    }

    /** One or more certificates (a CA bundle or a chain); anything else in the text is an error. */
    static List<X509Certificate> certificates(String pem, String path) throws CiJwtException {
        return PemReader.certificates(pem, rule -> invalid(path, rule));
    }

    /** One unencrypted private key, PKCS#8 ({@code PRIVATE KEY}) or the older RSA/EC forms. */
    static PrivateKey privateKey(String pem, String path) throws CiJwtException {
        return PemReader.privateKey(pem, rule -> invalid(path, rule));
    }

    /** The chain and its key, checked to belong together by signing a random challenge. */
    static TlsMaterial.ClientCertificate clientCertificate(String certPem, String certPath, String keyPem,
                                                           String keyPath) throws CiJwtException {
        List<X509Certificate> chain = certificates(certPem, certPath);
        PrivateKey key = privateKey(keyPem, keyPath);
        return pair(chain, key, certPath, keyPath);
    }

    /** The chain and its key, once the key is known to be the private half of the chain's first certificate. */
    static TlsMaterial.ClientCertificate pair(List<X509Certificate> chain, PrivateKey key, String certPath,
                                              String keyPath) throws CiJwtException {
        if (!KeyPairProbe.belongTogether(key, chain.get(0).getPublicKey())) {
            throw invalid(keyPath, "is not the private key of the first certificate in " + certPath);
        }
        return new TlsMaterial.ClientCertificate(chain, key);
    }

    /** The context for the material, or empty when it is {@link TlsMaterial#NONE} and the JVM's default serves. */
    static Optional<SSLContext> sslContext(TlsMaterial tls, String what) throws CiJwtException {
        if (tls.isEmpty()) {
            return Optional.empty();
        }
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (tls.trustAnchors().isEmpty()) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore trust = emptyStore();
                for (int i = 0; i < tls.trustAnchors().size(); i++) {
                    trust.setCertificateEntry("ca-" + i, tls.trustAnchors().get(i));
                }
                tmf.init(trust);
            }
            KeyManagerFactory kmf = null;
            if (tls.clientCertificate().isPresent()) {
                TlsMaterial.ClientCertificate client = tls.clientCertificate().get();
                KeyStore keys = emptyStore();
                keys.setKeyEntry("client", client.key(), IN_MEMORY, client.chain().toArray(new Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, IN_MEMORY);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return Optional.of(context);
        } catch (GeneralSecurityException | IOException e) {
            throw new CiJwtException(ErrorCode.TLS_INVALID, what + ": the TLS material cannot be used ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    private static CiJwtException invalid(String path, String rule) {
        return new CiJwtException(ErrorCode.TLS_INVALID, path + ": " + rule);
    }
}
