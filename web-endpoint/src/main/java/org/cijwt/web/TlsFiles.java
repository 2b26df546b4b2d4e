package org.cijwt.web;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Collection;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.cijwt.errors.CiJwtException;
import org.cijwt.io.KeyPairProbe;
import org.cijwt.io.SecureFiles;

/**
 * Checks the TLS certificate and private key before the server listens: the key file must be
 * private (0600), both files must parse, and the key must belong to the first certificate.
 * Without this a wrong key only shows at the first TLS handshake, as a client-side error.
 */
final class TlsFiles {

    private TlsFiles() {
    }

    /** Fails with one line naming the setting and the file; messages never quote file content. */
    static void check(Path cert, Path key) throws CiJwtException {
        X509Certificate certificate = certificate(cert);
        PrivateKey privateKey = privateKey(key, certificate.getPublicKey().getAlgorithm());
        if (!belongTogether(privateKey, certificate.getPublicKey())) {
            throw WebConfig.invalid(Setting.TLS_KEY, "file " + key + " is not the private key of the certificate in " + cert);
        }
    }

    private static X509Certificate certificate(Path cert) throws CiJwtException {
        String pem = SecureFiles.read(cert, "tls_cert file");
        Collection<? extends Certificate> chain;
        try {
            chain = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.ISO_8859_1)));
        } catch (CertificateException e) {
            // The parser's own text may quote the file; the setting and the path say enough.
            throw noCertificate(cert);
        }
        if (!chain.isEmpty() && chain.iterator().next() instanceof X509Certificate first) {
            return first;
        }
        throw noCertificate(cert);
    }

    private static CiJwtException noCertificate(Path cert) {
        return WebConfig.invalid(Setting.TLS_CERT, "file " + cert + " holds no PEM X.509 certificate");
    }

    private static CiJwtException noKey(Path key) {
        return WebConfig.invalid(Setting.TLS_KEY, "file " + key + " holds no unencrypted PEM private key (PKCS#8 or PKCS#1)");
    }

    private static PrivateKey privateKey(Path key, String certKeyAlgorithm) throws CiJwtException {
        String pem = SecureFiles.readPrivate(key, "tls_key file");
        PrivateKeyInfo info;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object obj = parser.readObject();
            if (obj instanceof PEMKeyPair pair) {
                info = pair.getPrivateKeyInfo();
            } else if (obj instanceof PrivateKeyInfo pkcs8) {
                info = pkcs8;
            } else {
                throw noKey(key);
            }
        } catch (IOException e) {
            // Bouncy Castle's message can quote the key's bytes: never pass it on.
            throw noKey(key);
        }
        try {
            return KeyFactory.getInstance(certKeyAlgorithm).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (GeneralSecurityException | IOException e) {
            // Typically an RSA key for an EC certificate or the like: a key of the wrong type.
            throw WebConfig.invalid(Setting.TLS_KEY, "file " + key + " is not a " + certKeyAlgorithm
                    + " private key, as the certificate's key is");
        }
    }

    /** Signs a random challenge with the key and verifies it with the certificate's public key. */
    private static boolean belongTogether(PrivateKey key, PublicKey certKey) throws CiJwtException {
        String algorithm = switch (certKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> throw WebConfig.invalid(Setting.TLS_CERT,
                    "the certificate's " + certKey.getAlgorithm() + " key is not supported (use RSA, EC or Ed25519)");
        };
        return KeyPairProbe.belongTogether(key, certKey, algorithm);
    }
}
