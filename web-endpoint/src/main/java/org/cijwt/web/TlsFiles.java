package org.cijwt.web;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import org.cijwt.errors.CiJwtException;
import org.cijwt.io.KeyPairProbe;
import org.cijwt.keys.PemReader;

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
        X509Certificate certificate = PemReader.readCertificates(cert, rule -> WebConfig.invalid(Setting.TLS_CERT, rule))
                .get(0);
        PrivateKey privateKey = PemReader.readPrivateKey(key, "setting " + Setting.TLS_KEY.key(),
                rule -> WebConfig.invalid(Setting.TLS_KEY, rule));
        if (!KeyPairProbe.belongTogether(privateKey, certificate.getPublicKey())) {
            throw WebConfig.invalid(Setting.TLS_KEY, "file " + key + " is not the private key of the certificate in " + cert);
        }
    }
}
