package org.cijwt.delivery.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Runs a sample task the way a worker would after pre-flight: as a real {@code runc} container on
 * a busybox root filesystem ({@link #bundle}, then pre-flight patches its {@code config.json}, then
 * {@link #run}), or, where containers cannot run, as a plain process on the host ({@link #runOnHost}).
 */
public final class TaskRunner {

    /** The {@code PATH} a task sees, in the container and on the host. */
    public static final String TASK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static final Duration SPEC_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DELETE_TIMEOUT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TaskRunner() {
    }

    /** What a finished task printed and how it exited; exit code -1 when it was killed at its timeout. */
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean succeeded() {
            return exitCode == 0;
        }
    }

    /** Why containers cannot run here (not Linux, no runc, not root, no static busybox), or empty when they can. */
    public static Optional<String> unavailableReason() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Optional.of("not Linux");
        }
        if (runc().isEmpty()) {
            return Optional.of("runc is not on PATH");
        }
        try {
            Object uid = uid();
            if (!Integer.valueOf(0).equals(uid)) {
                return Optional.of("runc needs root here (running as uid " + uid + ")");
            }
            return BusyboxRootfs.problem();
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.of("cannot check the container prerequisites: " + e.getMessage());
        }
    }

    /** Whether this process runs as root, for which file modes alone do not stop a write. */
    public static boolean runningAsRoot() {
        try {
            return Integer.valueOf(0).equals(uid());
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * Creates an OCI bundle in {@code dir}: {@code rootfs/} with busybox, and {@code config.json} as
     * {@code runc spec} writes it with no terminal, the task's command, {@link #TASK_PATH} and
     * {@code env}, a read-only root and a tmpfs on {@code /tmp}.
     *
     * @param hostNetwork share the host's network namespace, so the task can reach a server on loopback
     * @throws IOException when the root filesystem cannot be built or {@code runc spec} fails
     */
    public static Path bundle(Path dir, List<String> args, Map<String, String> env, boolean hostNetwork)
            throws IOException, InterruptedException {
        BusyboxRootfs.build(dir.resolve("rootfs"));
        Path configJson = dir.resolve("config.json");
        Files.deleteIfExists(configJson);
        Result spec = runc(SPEC_TIMEOUT, "spec", "--bundle", dir.toString());
        if (!spec.succeeded()) {
            throw new IOException("runc spec failed: " + spec.stderr());
        }
        ObjectNode root = (ObjectNode) JSON.readTree(configJson.toFile());
        ObjectNode process = (ObjectNode) root.get("process");
        process.put("terminal", false);
        ArrayNode argsNode = process.putArray("args");
        args.forEach(argsNode::add);
        ArrayNode envNode = process.putArray("env");
        envNode.add("PATH=" + TASK_PATH);
        env.forEach((name, value) -> envNode.add(name + "=" + value));
        process.put("cwd", "/");
        ObjectNode rootNode = root.putObject("root");
        rootNode.put("path", "rootfs");
        rootNode.put("readonly", true);
        root.put("hostname", "ci-jwt-task");
        ObjectNode tmp = ((ArrayNode) root.get("mounts")).addObject();
        tmp.put("destination", "/tmp");
        tmp.put("type", "tmpfs");
        tmp.put("source", "tmpfs");
        List.of("nosuid", "nodev", "mode=1777", "size=16m").forEach(tmp.putArray("options")::add);
        if (hostNetwork) {
            JsonNode namespaces = root.path("linux").path("namespaces");
            for (Iterator<JsonNode> it = namespaces.elements(); it.hasNext(); ) {
                if ("network".equals(it.next().path("type").asText())) {
                    it.remove();
                }
            }
        }
        JSON.writeValue(configJson.toFile(), root);
        return dir;
    }

    /** Runs the bundle in the foreground and deletes the container; one still running after {@code timeout} is killed. */
    public static Result run(Path bundle, Duration timeout) throws IOException, InterruptedException {
        String id = "ci-jwt-task-" + UUID.randomUUID().toString().substring(0, 8);
        ProcessBuilder builder = new ProcessBuilder(runcPath(), "run", "--bundle", bundle.toAbsolutePath().toString(), id);
        try {
            return capture(builder, timeout, process -> {
                runc(KILL_TIMEOUT, "kill", "--all", id, "KILL");
                process.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            });
        } finally {
            runc(DELETE_TIMEOUT, "delete", "--force", id);
        }
    }

    /**
     * Runs the task as a plain process on the host with nothing of this process's environment but
     * {@link #TASK_PATH} and {@code env}; one still running after {@code timeout} is killed.
     */
    public static Result runOnHost(List<String> args, Map<String, String> env, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(args);
        builder.environment().clear();
        builder.environment().put("PATH", TASK_PATH);
        builder.environment().putAll(env);
        return capture(builder, timeout, process -> {
            process.destroyForcibly();
            process.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    /** What to do with a process that outlived its timeout, before its output is read. */
    @FunctionalInterface
    private interface OnTimeout {
        void stop(Process process) throws IOException, InterruptedException;
    }

    /** Starts the process with no input and its output in temp files (no pipe to fill up), and waits. */
    private static Result capture(ProcessBuilder builder, Duration timeout, OnTimeout onTimeout)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("ci-jwt-task-", ".out");
        Path err = Files.createTempFile("ci-jwt-task-", ".err");
        try {
            Process process = builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                onTimeout.stop(process);
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            if (!finished) {
                return new Result(-1, stdout, stderr + "\n[killed: still running after " + timeout.toSeconds() + " s]");
            }
            return new Result(process.exitValue(), stdout, stderr);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static Result runc(Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(runcPath());
        command.addAll(List.of(args));
        return capture(new ProcessBuilder(command), timeout, process -> {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
        });
    }

    private static Optional<Path> runc() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String entry : path.split(File.pathSeparator)) {
            Path candidate = entry.isEmpty() ? null : Path.of(entry, "runc");
            if (candidate != null && Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static String runcPath() throws IOException {
        return runc().orElseThrow(() -> new IOException("runc is not on PATH")).toString();
    }

    private static Object uid() throws IOException {
        return Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }
}
