package org.cijwt.vault;

import java.io.IOException;
import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.KeyPairProbe;

/**
 * PEM text to certificates and keys, and {@link TlsMaterial} to an {@link SSLContext}. Errors name
 * the setting's path and never quote the PEM, since a client key is a secret and Bouncy Castle's
 * messages can carry the bytes they choked on.
 */
final class PemTls {

    /** What every PEM value starts with; text without it is not PEM, whatever else it may name. */
    static final String PEM_BEGIN = "-----BEGIN ";

    private static final char[] IN_MEMORY = "in-memory".toCharArray();

    private PemTls() {
    }

    /** One or more certificates (a CA bundle or a chain); anything else in the text is an error. */
    static List<X509Certificate> certificates(String pem, String path) throws CiJwtException {
        List<X509Certificate> out = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            for (Object obj = parser.readObject(); obj != null; obj = parser.readObject()) {
                if (!(obj instanceof X509CertificateHolder holder)) {
                    throw invalid(path, "holds a PEM block that is not a certificate");
                }
                out.add(converter.getCertificate(holder));
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            throw invalid(path, "holds no readable PEM X.509 certificate");
        }
        if (out.isEmpty()) {
            throw invalid(path, "holds no PEM X.509 certificate");
        }
        return List.copyOf(out);
    }

    /** One unencrypted private key, PKCS#8 ({@code PRIVATE KEY}) or the older RSA/EC forms. */
    static PrivateKey privateKey(String pem, String path) throws CiJwtException {
        Object obj;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            obj = parser.readObject();
            if (parser.readObject() != null) {
                throw invalid(path, "must hold exactly one private key");
            }
        } catch (IOException | RuntimeException e) {
            throw invalid(path, "holds no readable unencrypted PEM private key");
        }
        PrivateKeyInfo info;
        if (obj instanceof PrivateKeyInfo pkcs8) {
            info = pkcs8;
        } else if (obj instanceof PEMKeyPair pair) {
            info = pair.getPrivateKeyInfo();
        } else {
            throw invalid(path, "holds no unencrypted PEM private key (PKCS#8, PKCS#1 or SEC 1)");
        }
        try {
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException | RuntimeException e) {
            throw invalid(path, "holds a private key of a type this JVM cannot use");
        }
    }

    /** The chain and its key, checked to belong together by signing a random challenge. */
    static TlsMaterial.ClientCertificate clientCertificate(String certPem, String certPath, String keyPem,
                                                           String keyPath) throws CiJwtException {
        List<X509Certificate> chain = certificates(certPem, certPath);
        PrivateKey key = privateKey(keyPem, keyPath);
        if (!belongTogether(key, chain.get(0).getPublicKey())) {
            throw invalid(keyPath, "is not the private key of the first certificate in " + certPath);
        }
        return new TlsMaterial.ClientCertificate(chain, key);
    }

    private static boolean belongTogether(PrivateKey key, PublicKey certKey) {
        String algorithm = switch (certKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        return KeyPairProbe.belongTogether(key, certKey, algorithm);
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
