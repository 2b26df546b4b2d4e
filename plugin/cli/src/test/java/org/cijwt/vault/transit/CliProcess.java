package org.cijwt.vault.transit;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code ci-jwt} as its own JVM on this test's class path (which holds every module, as the
 * assembled jar does), with an environment of the test's choosing and no inherited Vault settings;
 * stdout and stderr go to files, so a test can read all the process wrote.
 */
final class CliProcess {
    private CliProcess() {
    }

    /** What a finished run left. */
    record Result(int exit, String out, String err, Duration took) {
        String describe() {
            return "exit " + exit + "\nstdout: " + out + "\nstderr: " + err;
        }
    }

    /** The command line for {@code ci-jwt args...}. */
    static List<String> command(String... args) {
        URL productLogging = CliProcess.class.getClassLoader().getResource("logback.xml");
        if (productLogging == null) {
            throw new IllegalStateException("the product's logback.xml is not on the test class path");
        }
        // The product's logging (stderr, $CI_JWT_LOG_LEVEL), not the tests' logback-test.xml.
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dlogback.configurationFile=" + productLogging,
                "-cp", System.getProperty("java.class.path"), "org.cijwt.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** A process builder for {@code ci-jwt args...} in {@code workDir}, output to {@code name}.out/.err there. */
    static ProcessBuilder builder(Path workDir, String name, Map<String, String> env, String... args) {
        ProcessBuilder b = new ProcessBuilder(command(args)).directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(workDir.resolve(name + ".out").toFile())
                .redirectError(workDir.resolve(name + ".err").toFile());
        b.environment().keySet().removeIf(n -> n.startsWith("VAULT_") || n.startsWith("BAO_") || n.startsWith("CI_JWT_"));
        b.environment().putAll(env);
        return b;
    }

    /** Runs to the end (at most two minutes). */
    static Result run(Path workDir, String name, Map<String, String> env, String... args) throws IOException, InterruptedException {
        long started = System.nanoTime();
        Process p = builder(workDir, name, env, args).start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("ci-jwt " + String.join(" ", args) + " did not finish in two minutes");
        }
        return new Result(p.exitValue(), Files.readString(workDir.resolve(name + ".out"), StandardCharsets.UTF_8).strip(),
                Files.readString(workDir.resolve(name + ".err"), StandardCharsets.UTF_8).strip(),
                Duration.ofNanos(System.nanoTime() - started));
    }
}
