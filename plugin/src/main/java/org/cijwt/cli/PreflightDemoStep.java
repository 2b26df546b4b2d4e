package org.cijwt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.cijwt.delivery.DeliveryPlan;
import org.cijwt.delivery.Preflight;
import org.cijwt.delivery.PreflightConfig;

/**
 * Demo stage: the sample task in a real runc container with its token delivered by pre-flight, or,
 * where runc cannot run, the same script as a plain process with the same variables and a read-only file.
 */
public final class PreflightDemoStep implements DemoStep {

    /** Where Debian's busybox-static installs the binary the demo's root filesystem is made of. */
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final List<String> APPLETS = List.of("sh", "cat", "cut", "tr", "base64", "echo", "[", "test");
    private static final String HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The sample task: prints where its token is, the token's claims, and tries to overwrite the file. */
    static final String TASK_SCRIPT = String.join("\n",
            "echo \"CONCOURSE_CI_JWT_FILE=$CONCOURSE_CI_JWT_FILE\"",
            "if [ \"$CONCOURSE_CI_JWT\" = \"$(cat \"$CONCOURSE_CI_JWT_FILE\")\" ]; then"
                    + " echo 'CONCOURSE_CI_JWT holds the same token as the file'; fi",
            "p=$(cut -d. -f2 \"$CONCOURSE_CI_JWT_FILE\" | tr '_-' '/+')",
            "case $(( ${#p} % 4 )) in 2) p=\"$p==\";; 3) p=\"$p=\";; esac",
            "echo \"claims: $(echo \"$p\" | base64 -d)\"",
            "if (echo tampered > \"$CONCOURSE_CI_JWT_FILE\") 2>/dev/null; then echo 'write to the token file: allowed';"
                    + " else echo 'write to the token file: refused (read-only)'; fi",
            "");

    @Override
    public int order() {
        return 100;
    }

    @Override
    public String title() {
        return "pre-flight: the sample task in a container";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        PrintStream out = ctx.out();
        Path work = ctx.stateDir().resolve("preflight-demo").toAbsolutePath().normalize();
        deleteRecursively(work);
        Path bundle = Files.createDirectories(work.resolve("bundle"));
        PreflightConfig config = new PreflightConfig(ctx.policy().issuer(),
                List.of(new PreflightConfig.TokenConfig(PreflightConfig.DEFAULT_TOKEN, ctx.policy(), false)));
        Preflight preflight = new Preflight(ctx::keyRing, Clock.systemUTC());
        try {
            Optional<String> unavailable = runcUnavailable();
            if (unavailable.isEmpty()) {
                Optional<String> failed = inContainer(ctx, preflight, config, bundle, out);
                if (failed.isEmpty()) {
                    return;
                }
                unavailable = failed;
            }
            out.println("   runc is unavailable here (" + unavailable.get() + "),");
            out.println("   so the same script runs as a plain process with the same variables and a read-only file:");
            asPlainProcess(ctx, preflight, config, work, out);
        } finally {
            Preflight.cleanup(bundle, null);
            deleteRecursively(work);
        }
    }

    /** Runs the task in runc; returns why it could not, or empty when it ran. */
    private Optional<String> inContainer(DemoContext ctx, Preflight preflight, PreflightConfig config, Path bundle,
                                         PrintStream out) throws Exception {
        buildRootfs(bundle.resolve("rootfs"));
        Process spec = new ProcessBuilder("runc", "spec", "--bundle", bundle.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!spec.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS) || spec.exitValue() != 0) {
            spec.destroyForcibly();
            return Optional.of("runc spec failed");
        }
        Path configJson = bundle.resolve("config.json");
        ObjectNode root = (ObjectNode) JSON.readTree(configJson.toFile());
        ObjectNode process = (ObjectNode) root.get("process");
        process.put("terminal", false);
        ArrayNode args = process.putArray("args");
        List.of("sh", "-c", TASK_SCRIPT).forEach(args::add);
        process.putArray("env").add("PATH=/bin");
        ObjectNode rootfs = root.putObject("root");
        rootfs.put("path", "rootfs");
        rootfs.put("readonly", true);
        Files.writeString(configJson, JSON.writeValueAsString(root), StandardCharsets.UTF_8);

        Preflight.Delivery delivery = preflight.deliver(ctx.metadata(), config, Preflight.defaultTokenDirectory(bundle), bundle);
        delivery.warnings().forEach(w -> out.println("   warning: " + w.message()));
        out.println("   bundle " + bundle + ": config.json patched (0600), token files in " + delivery.directory().path());
        out.println("   mounted read-only (" + String.join(",", DeliveryPlan.MOUNT_OPTIONS) + ") at "
                + DeliveryPlan.CONTAINER_TOKEN_DIR);
        out.println("   $ runc run --bundle " + bundle + " <id>");
        String id = "ci-jwt-demo-" + UUID.randomUUID().toString().substring(0, 8);
        Result result = runAndCapture(new ProcessBuilder("runc", "run", "--bundle", bundle.toString(), id));
        exec("runc", "delete", "--force", id);
        if (result.exitCode() != 0 || !result.stdout().contains("claims:")) {
            String firstLine = result.stderr().lines().findFirst().orElse("exit " + result.exitCode());
            return Optional.of("the container did not run: " + firstLine);
        }
        print(result, out);
        return Optional.empty();
    }

    private void asPlainProcess(DemoContext ctx, Preflight preflight, PreflightConfig config, Path work, PrintStream out)
            throws Exception {
        Preflight.Delivery delivery = preflight.prepare(ctx.metadata(), config, work.resolve("tokens"));
        Map<String, String> env = new LinkedHashMap<>(delivery.plan().environment());
        // No mount outside a container: the variable points at the host file, which is 0444 in a 0555 directory.
        env.put(DeliveryPlan.TOKEN_FILE_VARIABLE, delivery.directory().file(PreflightConfig.DEFAULT_TOKEN).toString());
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", TASK_SCRIPT);
        builder.environment().clear();
        builder.environment().put("PATH", HOST_PATH);
        builder.environment().putAll(env);
        out.println("   $ sh -c '<the task script>' with " + String.join(", ", env.keySet()));
        Result result = runAndCapture(builder);
        print(result, out);
        if (isRoot()) {
            out.println("   (as root, file modes do not stop a write on the host; inside a container the read-only mount does)");
        }
        delivery.directory().delete();
    }

    private static void print(Result result, PrintStream out) {
        result.stdout().lines().forEach(line -> out.println("   | " + line));
        if (result.exitCode() != 0) {
            out.println("   task exited " + result.exitCode());
            result.stderr().lines().forEach(line -> out.println("   ! " + line));
        }
    }

    /** Why runc cannot run the demo container here, or empty. */
    static Optional<String> runcUnavailable() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return Optional.of("not Linux");
        }
        if (onPath("runc").isEmpty()) {
            return Optional.of("runc is not installed");
        }
        if (!isRoot()) {
            return Optional.of("not running as root");
        }
        if (!Files.isRegularFile(BUSYBOX)) {
            return Optional.of(BUSYBOX + " is missing: install Debian's busybox-static");
        }
        return Optional.empty();
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** A root filesystem of one static busybox and the applets the script uses; the token mount point exists. */
    private static void buildRootfs(Path rootfs) throws IOException {
        for (String dir : List.of("bin", "proc", "sys", "dev", "tmp", "var/run/secrets/concourse-ci")) {
            Files.createDirectories(rootfs.resolve(dir));
        }
        Path busybox = rootfs.resolve("bin/busybox");
        Files.copy(BUSYBOX, busybox);
        Files.setPosixFilePermissions(busybox, PosixFilePermissions.fromString("r-xr-xr-x"));
        for (String applet : APPLETS) {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
        }
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result runAndCapture(ProcessBuilder builder) throws IOException, InterruptedException {
        Path stdout = Files.createTempFile("ci-jwt-demo-", ".out");
        Path stderr = Files.createTempFile("ci-jwt-demo-", ".err");
        try {
            Process p = builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, Files.readString(stdout), "no exit within " + TIMEOUT.toSeconds() + "s");
            }
            return new Result(p.exitValue(), Files.readString(stdout), Files.readString(stderr));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    private static void exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(command)))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    /** Removes the demo's work directory; token directories are 0555, so each directory is made writable first. */
    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
