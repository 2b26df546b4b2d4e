package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.cijwt.errors.ExitCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.io.SecureFiles;
import org.cijwt.testkit.TestTls;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ci-jwt serve} refusing bad {@code tls_cert}/{@code tls_key} files at start-up: exit 1,
 * one line naming the file, nothing of the key in it.
 */
class ServeTlsCommandTest {
    @TempDir
    static Path dir;

    static TestTls tls;

    @BeforeAll
    static void makeSelfSignedCertificate() throws Exception {
        tls = TestTls.write(dir);
    }

    @Test
    void serveWhenTlsKeyBelongsToAnotherCertificateThenExitsOneNamingTheFile() throws IOException {
        Result r = serve(tls.cert(), tls.otherKey());

        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).startsWith("ci-jwt: CJ407 setting tls_key").contains(tls.otherKey().toString()).contains("is not the private key of the certificate");
        assertOneCleanLine(r, tls.otherKey());
    }

    @Test
    void serveWhenTlsKeyIsGarbageThenExitsOneNamingTheFile() throws Exception {
        Path garbage = dir.resolve("garbage-key.pem");
        SecureFiles.writeAtomically(garbage, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==!!\n-----END PRIVATE KEY-----\n",
                SecureFiles.PRIVATE);
        Path text = dir.resolve("text-key.pem");
        SecureFiles.writeAtomically(text, "this is not PEM\n", SecureFiles.PRIVATE);

        for (Path bad : new Path[] {garbage, text}) {
            Result r = serve(tls.cert(), bad);

            assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
            assertThat(r.err()).startsWith("ci-jwt: CJ407 setting tls_key").contains(bad.toString()).contains("holds no unencrypted PEM private key");
            assertOneCleanLine(r, bad);
        }
    }

    @Test
    void serveWhenTlsKeyIsReadableByOthersThenRefusedLikeEveryPrivateKey() throws Exception {
        Path open = dir.resolve("open-key.pem");
        SecureFiles.writeAtomically(open, Files.readString(tls.key()), SecureFiles.PUBLIC_READ);

        Result r = serve(tls.cert(), open);

        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).contains(open.toString()).contains("chmod 600");
        assertOneCleanLine(r, open);
    }

    @Test
    void serveWhenTlsCertIsNotACertificateThenExitsOneNamingTheFile() throws Exception {
        Path notCert = Files.writeString(dir.resolve("not-a-cert.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        Result r = serve(notCert, tls.key());

        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).startsWith("ci-jwt: CJ407 setting tls_cert").contains(notCert.toString());
        assertOneCleanLine(r, notCert);
    }

    // ---- helpers -------------------------------------------------------------------------------

    record Result(int exit, String out, String err) {
    }

    /**
     * Runs {@code ci-jwt serve} in-process on a committed TEST key (no key generation per run); a start
     * that wrongly succeeds would block, hence the bound.
     */
    private Result serve(Path certFile, Path keyFile) {
        Path signingKey = TestKeys.copyPrivate(TestKeys.P256, dir);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> cli.execute("serve", "--listen", "127.0.0.1:0",
                "--keys", signingKey.toString(), "--reload-interval", "0",
                "--tls-cert", certFile.toString(), "--tls-key", keyFile.toString()));
        return new Result(exit, out.toString(), err.toString());
    }

    /** One line on stderr, no stack trace, and nothing of the key files' content. */
    private static void assertOneCleanLine(Result r, Path badFile) throws IOException {
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        assertThat(r.err()).startsWith("ci-jwt: CJ").doesNotContain("\tat ").doesNotContain("Exception")
                .doesNotContain("BEGIN").doesNotContain("PRIVATE KEY");
        for (Path secret : new Path[] {tls.key(), tls.otherKey(), badFile}) {
            for (String line : Files.readAllLines(secret)) {
                if (line.length() > 8 && !line.startsWith("-----")) {
                    assertThat(r.err()).doesNotContain(line);
                }
            }
        }
        assertThat(r.out()).isEmpty();
    }
}
