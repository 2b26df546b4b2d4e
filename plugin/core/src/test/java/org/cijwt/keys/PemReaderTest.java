package org.cijwt.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.io.KeyPairProbe;
import org.cijwt.testkit.TestTls;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one PEM reader: what it accepts (every form ci-jwt documents) and what it refuses, each
 * refusal through the caller's {@link PemReader.Failure} and never with the text it read.
 */
class PemReaderTest {
    private static final PemReader.Failure FAILURE = rule -> new CiJwtException(ErrorCode.TLS_INVALID, "setting s: " + rule);
    /** Inside a PEM block where a key's bytes would be; no message may ever show it. */
    private static final String SECRET = "S3CRETS3CRETS3CRETS3CRET";

    @TempDir
    static Path dir;

    static TestTls tls;
    static TestTls second;

    @BeforeAll
    static void certificates() throws Exception {
        tls = TestTls.write(Files.createDirectories(dir.resolve("first")));
        second = TestTls.write(Files.createDirectories(dir.resolve("second")));
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(ThrowingRead read) {
        return assertThatThrownBy(read::run)
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TLS_INVALID))
                .hasMessageStartingWith("setting s: ")
                .hasMessageNotContaining(SECRET)
                .hasMessageNotContaining("-----")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @FunctionalInterface
    interface ThrowingRead {
        void run() throws Exception;
    }

    @Test
    void certificatesWhenABundleHasTextBetweenItsBlocksThenEveryCertificateInOrder() throws Exception {
        String bundle = "subject=CN=first\n" + tls.certPem() + "\nsubject=CN=second\n" + second.certPem();

        List<X509Certificate> certificates = PemReader.certificates(bundle, FAILURE);

        assertThat(certificates).hasSize(2);
        assertThat(certificates.get(0).getSerialNumber()).isNotEqualTo(certificates.get(1).getSerialNumber());
    }

    @Test
    void certificatesWhenAPrivateKeyIsPastedInThenRefusedAsNotACertificate() throws Exception {
        refused(() -> PemReader.certificates(tls.certPem() + TestKeys.privatePem(TestKeys.Alg.ES256), FAILURE))
                .hasMessage("setting s: holds a PEM block that is not a certificate");
    }

    @Test
    void certificatesWhenNoneOrCorruptThenRefusedWithoutTheText() throws Exception {
        refused(() -> PemReader.certificates("not PEM at all " + SECRET, FAILURE))
                .hasMessage("setting s: holds no PEM X.509 certificate");
        refused(() -> PemReader.certificates("-----BEGIN CERTIFICATE-----\n" + SECRET + "\n-----END CERTIFICATE-----\n",
                FAILURE)).hasMessage("setting s: holds no readable PEM X.509 certificate");
    }

    @Test
    void privateKeyWhenPkcs8Pkcs1OrSec1ThenAKeyOfTheJdk() throws Exception {
        assertThat(PemReader.privateKey(TestKeys.text(TestKeys.RSA2048), FAILURE).getAlgorithm()).isEqualTo("RSA");
        assertThat(PemReader.privateKey(TestKeys.text(TestKeys.P256_SEC1), FAILURE).getAlgorithm()).isEqualTo("EC");
        assertThat(PemReader.privateKey(TestKeys.text(TestKeys.P256), FAILURE).getAlgorithm()).isEqualTo("EC");
        PrivateKey ed = PemReader.privateKey(TestKeys.text(TestKeys.ED25519), FAILURE);
        assertThat(ed.getAlgorithm()).isIn("Ed25519", "EdDSA");
        Signature usable = Signature.getInstance("Ed25519");
        usable.initSign(ed);
        usable.update(new byte[] {1, 2, 3});
        assertThat(usable.sign()).hasSize(64);
    }

    @Test
    void privateKeyWhenOpenSslWroteEcParametersFirstThenTheKeyIsRead() throws Exception {
        String ecparam = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";

        PrivateKey key = PemReader.privateKey(ecparam + TestKeys.text(TestKeys.P256_SEC1), FAILURE);

        assertThat(key.getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void privateKeyWhenEncryptedThenRefusedNamingWhatToGiveInstead() throws Exception {
        PrivateKey key = TestKeys.keyPair(TestKeys.Alg.ES256).getPrivate();
        BouncyCastleProvider bc = new BouncyCastleProvider();
        String pkcs8 = TestTls.pem(new JcaPKCS8Generator(key, new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                .setProvider(bc).setPassword("pw".toCharArray()).build()));
        String traditional = TestTls.pem(new JcaMiscPEMGenerator(key,
                new JcePEMEncryptorBuilder("AES-128-CBC").setProvider(bc).build("pw".toCharArray())));

        for (String pem : List.of(pkcs8, traditional)) {
            refused(() -> PemReader.privateKey(pem, FAILURE))
                    .hasMessage("setting s: holds an encrypted private key; give ci-jwt an unencrypted key in a 0600 file");
        }
    }

    @Test
    void privateKeyWhenTwoKeysThenRefusedSinceWhichOneWasMeantIsUnknown() throws Exception {
        refused(() -> PemReader.privateKey(TestKeys.text(TestKeys.P256) + TestKeys.text(TestKeys.P256_SECOND), FAILURE))
                .hasMessage("setting s: must hold exactly one private key");
    }

    @Test
    void privateKeyWhenGarbagePublicOrUnsupportedThenRefusedWithoutTheBytes() throws Exception {
        refused(() -> PemReader.privateKey("-----BEGIN PRIVATE KEY-----\n" + SECRET + "!!\n-----END PRIVATE KEY-----\n",
                FAILURE)).hasMessage("setting s: holds no unencrypted PEM private key (PKCS#8, PKCS#1 or SEC 1)");
        refused(() -> PemReader.privateKey(TestKeys.text(TestKeys.P256_PUBLIC), FAILURE))
                .hasMessage("setting s: holds no unencrypted PEM private key (PKCS#8, PKCS#1 or SEC 1)");
        String p256 = TestKeys.text(TestKeys.P256);
        String[] lines = p256.split("\n");
        int middle = lines.length / 2;
        lines[middle] = "!".repeat(lines[middle].length());
        refused(() -> PemReader.privateKey(String.join("\n", lines), FAILURE)).hasMessageStartingWith("setting s: holds ");
    }

    @Test
    void readPrivateKeyWhenOthersMayReadTheFileThenRefusedWithTheChmodBeforeParsing() throws Exception {
        Path open = TestKeys.write(dir.resolve("open-key.pem"), "-----BEGIN PRIVATE KEY-----\n" + SECRET
                + "\n-----END PRIVATE KEY-----\n", "rw-r--r--");

        assertThatThrownBy(() -> PemReader.readPrivateKey(open, "setting s", FAILURE))
                .isInstanceOfSatisfying(CiJwtException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.KEY_FILE_PERMISSIONS))
                .hasMessageStartingWith("setting s " + open + " is accessible by group or others")
                .hasMessageContaining("chmod 600 " + open)
                .hasMessageNotContaining(SECRET);
    }

    @Test
    void readWhenFilesAreMissingOrWrongThenEveryRuleNamesTheFile() throws Exception {
        Path missing = dir.resolve("missing.pem");
        refused(() -> PemReader.readCertificates(missing, FAILURE)).hasMessage("setting s: file " + missing + " does not exist");
        refused(() -> PemReader.readPrivateKey(missing, "setting s", FAILURE))
                .hasMessage("setting s: file " + missing + " does not exist");
        refused(() -> PemReader.readCertificates(tls.key(), FAILURE))
                .hasMessage("setting s: file " + tls.key() + " holds a PEM block that is not a certificate");
    }

    @Test
    void readWhenTheFilesArePrivateAndMatchThenTheCertificateAndItsKey() throws Exception {
        X509Certificate certificate = PemReader.readCertificates(tls.cert(), FAILURE).get(0);
        PrivateKey key = PemReader.readPrivateKey(tls.key(), "setting s", FAILURE);

        assertThat(KeyPairProbe.belongTogether(key, certificate.getPublicKey())).isTrue();
        assertThat(KeyPairProbe.belongTogether(PemReader.readPrivateKey(tls.otherKey(), "setting s", FAILURE),
                certificate.getPublicKey())).isFalse();
    }

    @Test
    void parsePemWhenACertificateIsInAKeyFileThenKeyCodecRefusesItAsNotAKey() throws Exception {
        assertThatThrownBy(() -> KeyCodec.parsePem(tls.certPem(), "keys.pem"))
                .isInstanceOfSatisfying(CiJwtException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.KEY_SOURCE_INVALID))
                .hasMessage("keys.pem: PEM block 1 is a certificate, not a key");
    }
}
