package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cijwt.cli.CliRun.run;

import java.nio.file.Path;
import org.cijwt.errors.ExitCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.keys.MalformedKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken keys and refused algorithms, through the command line as a user types it. */
class KeysCliTest {
    @TempDir
    Path dir;

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
