package org.cijwt.vault.example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
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
 * Runs a task as a real {@code runc} container on a tiny busybox root filesystem, the way a worker
 * would after pre-flight: build the OCI bundle, let pre-flight patch its {@code config.json}, run it.
 */
public final class TaskContainer {

    /** Where Debian's {@code busybox-static} installs a statically linked busybox. */
    public static final Path BUSYBOX = Path.of("/bin/busybox");

    private static final List<String> APPLETS = List.of("sh", "cat", "echo", "test", "[", "sleep", "ls", "wget",
            "sed", "grep", "printf", "rm", "env", "id", "true", "false", "head", "tr", "cut");
    private static final List<String> DIRECTORIES = List.of("bin", "etc", "tmp", "proc", "sys", "dev", "root",
            "var/run/secrets/concourse-ci");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String PATH_VALUE = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private TaskContainer() {
    }

    /** What a finished container printed and how it exited. */
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean succeeded() {
            return exitCode == 0;
        }
    }

    /** Why containers cannot run here (not Linux, not root, no runc, no static busybox), or empty when they can. */
    public static Optional<String> unavailableReason() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Optional.of("not Linux");
        }
        if (runc().isEmpty()) {
            return Optional.of("runc is not on PATH");
        }
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (!Integer.valueOf(0).equals(uid)) {
                return Optional.of("runc needs root here (running as uid " + uid + ")");
            }
            if (!Files.isRegularFile(BUSYBOX)) {
                return Optional.of(BUSYBOX + " not found: install Debian's busybox-static package");
            }
            if (dynamicallyLinked(BUSYBOX)) {
                return Optional.of(BUSYBOX + " is dynamically linked: install busybox-static instead of busybox");
            }
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.of("cannot check the container prerequisites: " + e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * Creates an OCI bundle in {@code dir}: {@code rootfs/} with busybox, and {@code config.json} as
     * {@code runc spec} writes it with no terminal, the task's command and variables, a read-only
     * root and a tmpfs on {@code /tmp}.
     *
     * @param hostNetwork share the host's network namespace, so the task can reach a server on loopback
     */
    public static Path bundle(Path dir, List<String> args, Map<String, String> env, boolean hostNetwork)
            throws IOException, InterruptedException {
        Path rootfs = dir.resolve("rootfs");
        for (String d : DIRECTORIES) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.setPosixFilePermissions(rootfs.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.copy(BUSYBOX, rootfs.resolve("bin/busybox"), StandardCopyOption.REPLACE_EXISTING);
        for (String applet : APPLETS) {
            Path link = rootfs.resolve("bin").resolve(applet);
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, Path.of("busybox"));
        }
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", StandardCharsets.UTF_8);
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\n", StandardCharsets.UTF_8);

        Files.deleteIfExists(dir.resolve("config.json"));
        Result spec = exec(Duration.ofSeconds(30), "spec", "--bundle", dir.toString());
        if (!spec.succeeded()) {
            throw new IOException("runc spec failed: " + spec.stderr());
        }
        ObjectNode root = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) root.get("process");
        process.put("terminal", false);
        ArrayNode argsNode = process.putArray("args");
        args.forEach(argsNode::add);
        ArrayNode envNode = process.putArray("env");
        envNode.add(PATH_VALUE);
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
        JSON.writeValue(dir.resolve("config.json").toFile(), root);
        return dir;
    }

    /** Runs the bundle in the foreground; a container still running after {@code timeout} is killed. */
    public static Result run(Path bundle, Duration timeout) throws IOException, InterruptedException {
        String id = "ci-jwt-example-" + UUID.randomUUID().toString().substring(0, 8);
        Path out = Files.createTempFile("ci-jwt-task-", ".out");
        Path err = Files.createTempFile("ci-jwt-task-", ".err");
        try {
            Process process = new ProcessBuilder(runcPath(), "run", "--bundle", bundle.toAbsolutePath().toString(), id)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                exec(Duration.ofSeconds(10), "kill", "--all", id, "KILL");
                process.waitFor(10, TimeUnit.SECONDS);
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            if (!finished) {
                return new Result(-1, stdout, stderr + "\n[killed: still running after " + timeout.toSeconds() + " s]");
            }
            return new Result(process.exitValue(), stdout, stderr);
        } finally {
            exec(Duration.ofSeconds(20), "delete", "--force", id);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
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

    private static Result exec(Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(runcPath());
        command.addAll(List.of(args));
        Path out = Files.createTempFile("ci-jwt-runc-", ".out");
        Path err = Files.createTempFile("ci-jwt-runc-", ".err");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** True when the ELF file has a PT_INTERP program header, i.e. would need a loader the rootfs lacks. */
    private static boolean dynamicallyLinked(Path elf) throws IOException {
        try (FileChannel ch = FileChannel.open(elf, StandardOpenOption.READ)) {
            ByteBuffer ident = ByteBuffer.allocate(64);
            ch.read(ident, 0);
            if (ident.position() < 64 || ident.getInt(0) != 0x7f454c46) {
                throw new IOException(elf + " is not an ELF executable");
            }
            boolean is64 = ident.get(4) == 2;
            ident.order(ident.get(5) == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            long phoff = is64 ? ident.getLong(32) : Integer.toUnsignedLong(ident.getInt(28));
            int phentsize = Short.toUnsignedInt(ident.getShort(is64 ? 54 : 42));
            int phnum = Short.toUnsignedInt(ident.getShort(is64 ? 56 : 44));
            ByteBuffer headers = ByteBuffer.allocate(phentsize * phnum).order(ident.order());
            ch.read(headers, phoff);
            final int ptInterp = 3;
            for (int i = 0; i < phnum; i++) {
                if (headers.getInt(i * phentsize) == ptInterp) {
                    return true;
                }
            }
            return false;
        }
    }
}
