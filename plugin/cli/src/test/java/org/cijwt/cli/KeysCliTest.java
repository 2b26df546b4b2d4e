package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cijwt.cli.CliRun.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.cijwt.errors.ExitCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.keys.MalformedKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key generation and broken keys, through the command line as a user types it. */
class KeysCliTest {
    @TempDir
    Path dir;

    private static String kid(CliRun keygen) {
        return keygen.out().lines().filter(l -> l.startsWith("kid:")).findFirst().orElseThrow().substring(4).strip();
    }

    private Path onlyFile(String suffix) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).findFirst().orElseThrow();
        }
    }

    @Test
    void keygenWhenPemAndKeyIdThenRefusedAsConflictingOptionsAndNothingIsWritten() throws Exception {
        CliRun r = run("keygen", "--alg", "EdDSA", "--format", "pem", "--key-id", "k1", "--out", dir.toString());
        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).startsWith("ci-jwt: CJ404 --key-id cannot be used with --format pem").doesNotContain("\tat ");
        assertThat(r.out()).doesNotContain("kid:");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void keygenWhenEdDsaPemThenThePrivateKeyIsRfc8410Version1AndReadsBackUnderThePrintedKid() throws Exception {
        CliRun r = run("keygen", "--alg", "EdDSA", "--format", "pem", "--out", dir.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        Path priv = onlyFile("-private.pem");
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(MalformedKeys.der(Files.readString(priv)));
        // Version 1 (encoded 0), no attached public key: what openssl genpkey -algorithm Ed25519 writes.
        assertThat(info.getVersion().intValueExact()).isZero();
        assertThat(info.getPublicKeyData()).isNull();
        CliRun jwks = run("jwks", "--keys", priv.toString());
        assertThat(jwks.exit()).as(jwks.err()).isZero();
        assertThat(jwks.out()).contains("\"kid\" : \"" + kid(r) + "\"");
    }

    @Test
    void keygenWhenAlgorithmIsOffTheAllowListThenExit1WithAlgorithmNotAllowed() {
        CliRun r = run("keygen", "--alg", "HS256", "--out", dir.toString());
        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).startsWith("ci-jwt: CJ207 algorithm 'HS256' is not allowed");
    }

    @Test
    void jwksWhenAVerificationKeyIsASmallOrderEd25519PointThenExit1WithKeyMalformedNamingTheFile() throws Exception {
        Path signer = TestKeys.copyPrivate(TestKeys.P256, dir);
        Path pinned = TestKeys.write(dir.resolve("pinned.jwks"),
                MalformedKeys.ed25519Jwks("evil", MalformedKeys.SMALL_ORDER_ED25519.get(0)), "rw-r--r--");
        CliRun r = run("jwks", "--keys", signer.toString(), "--verify-keys", pinned.toString());
        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).startsWith("ci-jwt: CJ206 verification keys " + pinned).doesNotContain("internal error");
    }

    @Test
    void mintWhenTheEcPemIsCutDownToItsScalarThenExit1WithKeyMalformedNamingTheFile() throws Exception {
        Path cut = TestKeys.write(dir.resolve("cut.pem"), MalformedKeys.ecPemWithoutCurve(), "rw-------");
        CliRun r = run("mint", "--metadata", TestKeys.metadataFile("main", dir).toString(), "--keys", cut.toString(),
                "--alg", "ES256", "--audience", "vault");
        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).startsWith("ci-jwt: CJ206 PEM file " + cut).doesNotContain("internal error");
        assertThat(r.out()).isEmpty();
    }
}
