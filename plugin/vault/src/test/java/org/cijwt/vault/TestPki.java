package org.cijwt.vault;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throw-away certificates for the TLS tests, made per run (nothing secret is committed): a CA, a
 * server certificate for 127.0.0.1 and localhost, and client certificates. Client keys are RSA with
 * PKCS#8 PEM, the form every TLS client here reads; the CA and server keys are P-256.
 */
final class TestPki {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private TestPki() {
    }

    /** A certificate with its key pair. */
    record Issued(X509Certificate certificate, KeyPair keys) {

        String certificatePem() {
            return pem(certificate);
        }

        /** PKCS#8 ({@code BEGIN PRIVATE KEY}). */
        String privateKeyPem() {
            try {
                return pem(new JcaPKCS8Generator(keys.getPrivate(), null).generate());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Writes the certificate (0644) and key (0600, as a root-only host credential is kept) into {@code dir}. */
        PemFiles written(Path dir, String name) throws IOException {
            Path cert = Files.writeString(dir.resolve(name + "-cert.pem"), certificatePem());
            Path key = dir.resolve(name + "-key.pem");
            Files.writeString(key, privateKeyPem());
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            return new PemFiles(cert, key);
        }
    }

    /** Where {@link Issued#written} put the two files. */
    record PemFiles(Path certificate, Path privateKey) {
    }

    static Issued ca(String commonName) throws GeneralSecurityException {
        KeyPair keys = ec();
        X500Name name = new X500Name("CN=" + commonName + " (ci-jwt TEST ONLY)");
        return sign(name, keys, name, keys, true, null);
    }

    static Issued server(Issued ca) throws GeneralSecurityException {
        return sign(new X500Name("CN=127.0.0.1 (ci-jwt TEST ONLY)"), ec(), subject(ca), ca.keys(), false,
                new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                        new GeneralName(GeneralName.dNSName, "localhost")}));
    }

    static Issued client(Issued ca, String commonName) throws GeneralSecurityException {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        return sign(new X500Name("CN=" + commonName), rsa.generateKeyPair(), subject(ca), ca.keys(), false, null);
    }

    private static X500Name subject(Issued issued) {
        return X500Name.getInstance(issued.certificate().getSubjectX500Principal().getEncoded());
    }

    private static KeyPair ec() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static Issued sign(X500Name subject, KeyPair keys, X500Name issuer, KeyPair issuerKeys, boolean ca,
                               GeneralNames altNames) throws GeneralSecurityException {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (altNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, altNames);
            }
            String algorithm = issuerKeys.getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            X509Certificate certificate = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(issuerKeys.getPrivate())));
            return new Issued(certificate, keys);
        } catch (IOException | OperatorCreationException e) {
            throw new GeneralSecurityException("cannot make a test certificate", e);
        }
    }

    static String pem(Object object) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }
}
