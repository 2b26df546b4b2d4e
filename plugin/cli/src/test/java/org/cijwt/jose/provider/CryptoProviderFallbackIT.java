package org.cijwt.jose.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cijwt.cli.Main;
import org.cijwt.fixtures.TestKeys;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider choice in fresh JVMs, as a user meets it: ACCP unpacks its native library into the
 * temporary directory, so a temporary directory it cannot use (a {@code noexec} mount, here a
 * plain file) must leave the process on Bouncy Castle, still signing; the setting forces either.
 */
class CryptoProviderFallbackIT {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run java(Map<String, String> env, String... args) throws IOException, InterruptedException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", classPath));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove(CryptoProviders.ENV);
        pb.environment().putAll(env);
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not finish in 60 s: " + command);
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8).strip(),
                Files.readString(err, StandardCharsets.UTF_8).strip());
    }

    private String unusableTmpDir() throws IOException {
        return "-Djava.io.tmpdir=" + Files.writeString(dir.resolve("not-a-directory"), "x");
    }

    @Test
    void autoWhenTheNativeLibraryCannotBeUnpackedThenBouncyCastleWithTheReason() throws Exception {
        Run r = java(Map.of(), unusableTmpDir(), ProviderProbe.class.getName());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith(CryptoProvider.BOUNCY_CASTLE + "\n").contains("did not load");
    }

    @Test
    void autoWhenTheNativeLibraryCanBeUnpackedThenAccp() throws Exception {
        Assumptions.assumeTrue(TestProviders.accpShouldLoad(), "the shipped ACCP jar has a native library for Linux x86_64 only");
        TestProviders.get(CryptoProvider.ACCP);
        Run r = java(Map.of(), ProviderProbe.class.getName());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith(CryptoProvider.ACCP + "\n");
    }

    @Test
    void settingWhenBcInTheEnvironmentThenBouncyCastleWithoutTryingAccp() throws Exception {
        Run r = java(Map.of(CryptoProviders.ENV, "bc"), ProviderProbe.class.getName());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith(CryptoProvider.BOUNCY_CASTLE + "\n").endsWith("\naccp loaded or not tried");
    }

    @Test
    void settingWhenAccpButItCannotLoadThenTheCliRefusesWithTheSettingsCode() throws Exception {
        Path metadata = TestKeys.metadataFile("main", dir);
        Run r = java(Map.of(CryptoProviders.ENV, "accp"), unusableTmpDir(), Main.class.getName(), "mint", "--keys", "ephemeral",
                "--alg", "EdDSA", "--metadata", metadata.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("ci-jwt: CJ401 CI_JWT_CRYPTO is accp, but the Amazon Corretto Crypto Provider cannot be used here");
    }

    @Test
    void settingWhenUnknownValueThenTheCliRefusesWithOneLineNamingIt() throws Exception {
        Path metadata = TestKeys.metadataFile("main", dir);
        Run r = java(Map.of(), "-D" + CryptoProviders.PROPERTY + "=openssl", Main.class.getName(), "mint", "--keys", "ephemeral",
                "--alg", "ES256", "--metadata", metadata.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("ci-jwt: CJ401 -Dcijwt.crypto is 'openssl', but must be auto, accp or bc");
    }

    @Test
    void mintWhenForcedOntoBouncyCastleByABrokenTmpDirThenTheTokenIsPrinted() throws Exception {
        Path metadata = TestKeys.metadataFile("main", dir);
        Run r = java(Map.of(), unusableTmpDir(), Main.class.getName(), "mint", "--keys", "ephemeral", "--alg", "ES256",
                "--metadata", metadata.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
    }
}
