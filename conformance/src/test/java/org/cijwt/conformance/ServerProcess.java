package org.cijwt.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A server these tests start (a relying party, or {@code ci-jwt VERB} as its own JVM), its output in
 * {@code <name>.log} in the test's directory; stopped by its own pid, never by name.
 */
final class ServerProcess implements AutoCloseable {
    private static final Duration STOP = Duration.ofSeconds(20);

    private final Process process;
    private final Path log;
    private final String what;

    private ServerProcess(Process process, Path log, String what) {
        this.process = process;
        this.log = log;
        this.what = what;
    }

    /**
     * {@code ci-jwt args...} on this module's test class path (which holds every module, as the
     * product jar does), with the product's logging; waits up to a minute for {@code ready}.
     */
    static ServerProcess ciJwt(Path dir, String name, BooleanSupplier ready, String... args) throws IOException, InterruptedException {
        URL productLogging = ServerProcess.class.getClassLoader().getResource("logback.xml");
        if (productLogging == null) {
            throw new IllegalStateException("the product's logback.xml is not on the test class path");
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m", "-Dlogback.configurationFile=" + productLogging,
                "-cp", System.getProperty("java.class.path"), "org.cijwt.cli.Main"));
        cmd.addAll(List.of(args));
        return start(dir, name, cmd, Map.of(), ready);
    }

    /**
     * Closes each of {@code servers} that was started (null: not started), in the order given, all of them
     * even when one fails; the first failure is thrown with the others suppressed.
     */
    static void closeAll(AutoCloseable... servers) {
        IllegalStateException failed = null;
        for (AutoCloseable c : servers) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                IllegalStateException f = new IllegalStateException("stopping " + c, e);
                if (failed == null) {
                    failed = f;
                } else {
                    failed.addSuppressed(f);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** Starts a server on the ports it is given. */
    interface OnPorts<T> {
        T start(int[] ports) throws IOException, InterruptedException;
    }

    /**
     * Starts a server on {@code count} loopback ports chosen now, and chooses again, up to three times, when
     * one of them was taken between the choice and the server's bind ("address already in use" in its log):
     * a port must be known before the server starts (it is in the issuer URL or the config), so it cannot
     * be the kernel's choice at bind time.
     */
    static <T> T onFreePorts(int count, OnPorts<T> start) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return start.start(org.cijwt.fixtures.launch.LoopbackPorts.distinct(count));
            } catch (AssertionError e) {
                if (attempt == 3 || !String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("address already in use")) {
                    throw e;
                }
            }
        }
    }

    /** Starts {@code command} in {@code dir} with {@code env} added, then waits up to a minute for {@code ready}. */
    static ServerProcess start(Path dir, String name, List<String> command, Map<String, String> env, BooleanSupplier ready)
            throws IOException, InterruptedException {
        return start(dir, name, command, env, ready, Duration.ofMinutes(1));
    }

    /** As {@link #start(Path, String, List, Map, BooleanSupplier)}, waiting up to {@code timeout}. */
    static ServerProcess start(Path dir, String name, List<String> command, Map<String, String> env, BooleanSupplier ready,
                               Duration timeout) throws IOException, InterruptedException {
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(n -> n.startsWith("VAULT_") || n.startsWith("BAO_") || n.startsWith("CI_JWT_"));
        pb.environment().putAll(env);
        ServerProcess p = new ServerProcess(pb.start(), log, name);
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!p.process.isAlive()) {
                throw new AssertionError(p.what + " exited " + p.process.exitValue() + ":\n" + p.log());
            }
            if (ready.getAsBoolean()) {
                return p;
            }
            Thread.sleep(100);
        }
        p.close();
        throw new AssertionError(p.what + " not ready in " + timeout.toSeconds() + " s:\n" + p.log());
    }

    /** What the process has written so far. */
    String log() {
        try {
            return Files.readString(log, UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Stops the process and what it started (a launcher script's JVM), by their pids. */
    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().toList();
        children.forEach(ProcessHandle::destroy);
        process.destroy();
        children.forEach(c -> c.onExit().orTimeout(STOP.toMillis(), TimeUnit.MILLISECONDS).exceptionally(e -> {
            c.destroyForcibly();
            return c;
        }).join());
        try {
            if (!process.waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
