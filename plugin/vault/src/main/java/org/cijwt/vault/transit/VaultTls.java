package org.cijwt.vault.transit;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.keys.PemReader;

/**
 * The TLS context for Vault: trust the operator's CA bundle (every certificate in it) instead of
 * the JDK's, and present a client certificate whose key may be RSA or EC, in PKCS#8, PKCS#1 or
 * SEC 1 PEM, as core's {@link PemReader} reads them (the Vault Java Driver's own {@code SslConfig}
 * reads RSA PKCS#8 keys only).
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
                List<X509Certificate> chain = certificates(tls.clientCert().get(), "Vault client certificate");
                PrivateKey key = privateKey(tls.clientKey().orElseThrow());
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

    private static List<X509Certificate> certificates(Path file, String what) throws CiJwtException {
        return PemReader.readCertificates(file, rule -> new CiJwtException(ErrorCode.TLS_INVALID, what + " " + rule));
    }

    private static PrivateKey privateKey(Path file) throws CiJwtException {
        return PemReader.readPrivateKey(file, "Vault client key",
                rule -> new CiJwtException(ErrorCode.TLS_INVALID, "Vault client key " + rule));
    }
}
