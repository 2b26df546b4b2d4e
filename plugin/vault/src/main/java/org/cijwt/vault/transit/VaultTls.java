package org.cijwt.vault.transit;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.SecureFiles;

/**
 * The TLS context for Vault: trust the operator's CA bundle (every certificate in it) instead of
 * the JDK's, and present a client certificate whose key may be RSA or EC, in PKCS#8, PKCS#1 or
 * SEC 1 PEM (the Vault Java Driver's own {@code SslConfig} reads RSA PKCS#8 keys only).
 */
final class VaultTls {
    private VaultTls() {
    }

    /** The context, or null when no TLS file is set (the JDK's defaults then apply). */
    static SSLContext context(TransitSettings.Tls tls) throws CiJwtException {
        if (!tls.any()) {
            return null;
        }
        TrustManager[] trust = null;
        KeyManager[] keys = null;
        try {
            if (tls.caCert().isPresent()) {
                KeyStore store = emptyStore();
                int i = 0;
                for (Certificate c : certificates(tls.caCert().get(), "Vault CA certificate")) {
                    store.setCertificateEntry("ca-" + i++, c);
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(store);
                trust = tmf.getTrustManagers();
            }
            if (tls.clientCert().isPresent()) {
                List<Certificate> chain = certificates(tls.clientCert().get(), "Vault client certificate");
                Path keyFile = tls.clientKey().orElseThrow();
                PrivateKey key = privateKey(SecureFiles.readPrivate(keyFile, "Vault client key"), keyFile);
                KeyStore store = emptyStore();
                char[] none = new char[0];
                store.setKeyEntry("client", key, none, chain.toArray(new Certificate[0]));
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(store, none);
                keys = kmf.getKeyManagers();
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, trust, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new CiJwtException(ErrorCode.TLS_INVALID, "the Vault TLS files cannot be used together ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    private static List<Certificate> certificates(Path file, String what) throws CiJwtException {
        try {
            byte[] pem = Files.readAllBytes(file);
            List<Certificate> out = new ArrayList<>(CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem)));
            if (out.isEmpty()) {
                throw new CiJwtException(ErrorCode.TLS_INVALID, what + " " + file + " holds no certificate");
            }
            return out;
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.TLS_INVALID, what + " " + file + " cannot be read: " + SecureFiles.reason(e));
        } catch (GeneralSecurityException e) {
            throw new CiJwtException(ErrorCode.TLS_INVALID, what + " " + file + " is not a PEM certificate");
        }
    }

    private static PrivateKey privateKey(String pem, Path file) throws CiJwtException {
        PrivateKeyInfo info;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o = parser.readObject();
            info = o instanceof PEMKeyPair pair ? pair.getPrivateKeyInfo() : o instanceof PrivateKeyInfo i ? i : null;
        } catch (IOException e) {
            // BC's messages can quote key bytes: say only which file is wrong.
            throw new CiJwtException(ErrorCode.TLS_INVALID, "Vault client key " + file + " is not a PEM private key");
        }
        if (info == null) {
            throw new CiJwtException(ErrorCode.TLS_INVALID, "Vault client key " + file
                    + " is not an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC 1)");
        }
        String oid = info.getPrivateKeyAlgorithm().getAlgorithm().getId();
        String alg = switch (oid) {
            case "1.2.840.10045.2.1" -> "EC";
            case "1.2.840.113549.1.1.1" -> "RSA";
            case "1.3.101.112" -> "Ed25519";
            default -> throw new CiJwtException(ErrorCode.TLS_INVALID, "Vault client key " + file
                    + " is neither an RSA, EC nor Ed25519 key");
        };
        try {
            // The JDK's own providers, from the PKCS#8 form: no Bouncy Castle provider is registered for this.
            return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (GeneralSecurityException | IOException e) {
            throw new CiJwtException(ErrorCode.TLS_INVALID, "Vault client key " + file + " is not a valid " + alg + " key");
        }
    }
}
