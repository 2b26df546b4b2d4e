package org.cijwt.testkit;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.io.SecureFiles;

/**
 * A server certificate for tests of {@code tls_cert}/{@code tls_key}: self-signed for 127.0.0.1
 * and localhost, made per run for the committed TEST RSA key, so clients can trust exactly it.
 *
 * @param cert the PEM certificate file
 * @param key its private key, 0600
 * @param otherKey another TEST RSA key, for "the key of another certificate"
 * @param certPem the certificate's PEM text
 */
public record TestTls(Path cert, Path key, Path otherKey, String certPem) {

    /** Writes the certificate and both keys into {@code dir}. */
    public static TestTls write(Path dir) throws Exception {
        KeyPair pair = TestKeys.keyPair(TestKeys.Alg.RS256);
        String certPem = pem(selfSigned(pair));
        Path cert = Files.writeString(dir.resolve("cert.pem"), certPem);
        Path key = dir.resolve("key.pem");
        SecureFiles.writeAtomically(key, pem(pair.getPrivate()), SecureFiles.PRIVATE);
        Path otherKey = TestKeys.copyPrivate(TestKeys.Alg.RS256.privatePemFile(), dir);
        return new TestTls(cert, key, otherKey, certPem);
    }

    private static X509Certificate selfSigned(KeyPair pair) throws Exception {
        X500Name name = new X500Name("CN=ci-jwt TEST ONLY localhost");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), name, pair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
    }

    /** PEM text of a certificate or key. */
    public static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }
}
