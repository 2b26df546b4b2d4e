package org.cijwt.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A relying party's program, built (Go modules) or unpacked (Keycloak's distribution) once per
 * machine and version into a cache outside the clone, {@code ~/.cache/ci-jwt/tools/<name>-<version>/}
 * (or under {@code $CI_JWT_TOOL_CACHE}), so that a fresh clone on the same machine does not build
 * it again. A build goes to a temporary directory beside the cache entry and is renamed into place
 * with its {@code build.txt} (what was built, how long it took, with which Go), so a half-built tool
 * is never found; a lock file per tool keeps two JVMs (two clones' test runs) from building the
 * same tool at once.
 */
final class CachedTool {
    /** Where tools are cached unless {@code $CI_JWT_TOOL_CACHE} says otherwise. */
    static final Path DEFAULT_CACHE = Path.of(System.getProperty("user.home"), ".cache", "ci-jwt", "tools");
    /** A cold build of cosign takes about 3 minutes on two cores; nothing takes ten. */
    static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);
    /** What a failed download says when the module proxy or the network cannot be reached. */
    private static final Pattern UNREACHABLE = Pattern.compile(
            "dial tcp|no such host|i/o timeout|connection refused|network is unreachable|TLS handshake timeout"
                    + "|proxyconnect|server misbehaving", Pattern.CASE_INSENSITIVE);
    private static final Object IN_THIS_JVM = new Object();

    /**
     * Makes the program in a fresh directory: {@code bin} is {@code <entry>/bin}, where a Go tool's
     * executable named as the tool must end up; {@code work} is scratch space, removed afterwards.
     */
    @FunctionalInterface
    interface Build {
        void run(Path bin, Path work) throws IOException, InterruptedException, Unavailable;
    }

    /** The tool cannot be had here (no Go, or the module cannot be downloaded): a reason to skip, not a failure. */
    static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String reason) {
            super(reason);
        }
    }

    private final String name;
    private final String version;
    private final Path cache;
    private final String executable;
    private final Build build;

    /** A Go tool: its executable is {@code bin/<name>}. */
    CachedTool(String name, String version, Path cache, Build build) {
        this(name, version, cache, "bin/" + name, build);
    }

    /** A tool whose executable is {@code executable} (a relative path) in its entry. */
    CachedTool(String name, String version, Path cache, String executable, Build build) {
        if (!name.matches("[a-z][a-z0-9-]*") || !version.matches("v?[0-9][0-9A-Za-z.+-]*")
                || !executable.matches("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*") || executable.contains("..")) {
            throw new IllegalArgumentException("not a tool name, version and executable: " + name + " " + version + " " + executable);
        }
        this.name = name;
        this.version = version;
        this.cache = cache;
        this.executable = executable;
        this.build = build;
    }

    /** The cache root: {@code $CI_JWT_TOOL_CACHE}, else {@link #DEFAULT_CACHE}. */
    static Path cacheRoot() {
        String env = System.getenv("CI_JWT_TOOL_CACHE");
        return env == null || env.isBlank() ? DEFAULT_CACHE : Path.of(env);
    }

    /** {@code go install PACKAGE@VERSION} with the given environment (e.g. {@code CGO_ENABLED=0}). */
    static CachedTool install(String name, String pkg, String version, Map<String, String> env) {
        return new CachedTool(name, version, cacheRoot(), (bin, work) -> {
            Map<String, String> e = new java.util.HashMap<>(env);
            e.put("GOBIN", bin.toString());
            go(work, e, "install", pkg + "@" + version);
        });
    }

    /**
     * Builds {@code pkg} (relative to the module root) of module {@code module@version} from a
     * writable copy of the module cache's files, after dropping {@code dropReplace}: for a module whose
     * go.mod has replace directives, which {@code go install} refuses.
     */
    static CachedTool buildModule(String name, String module, String version, String pkg, List<String> dropReplace,
                              List<String> tags, Map<String, String> env) {
        return new CachedTool(name, version, cacheRoot(), (bin, work) -> {
            String dir = go(work, env, "mod", "download", "-json", module + "@" + version).lines()
                    .filter(l -> l.trim().startsWith("\"Dir\""))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim().replaceAll("^\"|\",?$", ""))
                    .findFirst().orElseThrow(() -> new IOException("go mod download named no directory for " + module));
            Path src = work.resolve("src");
            copyTree(Path.of(dir), src);
            for (String replaced : dropReplace) {
                go(src, env, "mod", "edit", "-dropreplace", replaced);
            }
            go(src, env, "mod", "tidy");
            List<String> args = new ArrayList<>(List.of("build"));
            if (!tags.isEmpty()) {
                args.add("-tags");
                args.add(String.join(",", tags));
            }
            args.addAll(List.of("-o", bin.resolve(name).toString(), pkg));
            go(src, env, args.toArray(String[]::new));
        });
    }

    String name() {
        return name;
    }

    String version() {
        return version;
    }

    /** The cache entry: {@code <cache>/<name>-<version>}. */
    Path home() {
        return cache.resolve(name + "-" + version);
    }

    /** The executable in the cache entry. */
    Path executable() {
        return home().resolve(executable);
    }

    /** What the cache entry's {@code build.txt} says, if it is complete. */
    Optional<String> cached() throws IOException {
        Path info = home().resolve("build.txt");
        if (Files.isRegularFile(info) && Files.isExecutable(executable())) {
            return Optional.of(Files.readString(info, UTF_8).strip());
        }
        return Optional.empty();
    }

    /** The executable, built first if no complete cache entry exists. */
    Path binary() throws IOException, InterruptedException, Unavailable {
        if (cached().isPresent()) {
            return executable();
        }
        Files.createDirectories(cache);
        synchronized (IN_THIS_JVM) {
            try (FileChannel channel = FileChannel.open(cache.resolve(name + "-" + version + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                if (cached().isPresent()) {
                    return executable();  // another JVM built it while this one waited
                }
                buildIntoPlace();
            }
        }
        return executable();
    }

    private void buildIntoPlace() throws IOException, InterruptedException, Unavailable {
        Path staging = Files.createTempDirectory(cache, "." + name + "-" + version + "-");
        try {
            Path bin = Files.createDirectories(staging.resolve("bin"));
            Path work = Files.createDirectories(staging.resolve("work"));
            long started = System.nanoTime();
            build.run(bin, work);
            long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
            if (!Files.isExecutable(staging.resolve(executable))) {
                throw new IOException("building " + name + " " + version + " made no " + staging.resolve(executable));
            }
            deleteTree(work);
            try (var left = Files.list(bin)) {
                if (left.findAny().isEmpty()) {
                    Files.delete(bin);  // a tool that is not a Go binary left nothing there
                }
            }
            String with = executable.equals("bin/" + name) ? " with " + goVersion() : "";
            Files.writeString(staging.resolve("build.txt"), name + " " + version + " built in " + seconds + " s" + with + "\n", UTF_8);
            // Under the lock and with no complete entry, whatever is at home() has no build.txt (a binary
            // copied in by hand, a half-deleted entry): replace it.
            deleteTree(home());
            Files.move(staging, home(), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            deleteTree(staging);
        }
    }

    /** {@code go version}'s version word, e.g. {@code go1.26.8}, for the record in build.txt. */
    static String goVersion() throws IOException, InterruptedException {
        try {
            String[] words = go(Path.of("."), Map.of(), "version").trim().split("\\s+");
            return words.length > 2 ? words[2] : "an unknown Go";
        } catch (Unavailable | IOException e) {
            return "an unknown Go";
        }
    }

    /** Runs {@code go args...} in {@code dir}; its output, or {@link Unavailable} when Go or the network is missing. */
    static String go(Path dir, Map<String, String> env, String... args) throws IOException, InterruptedException, Unavailable {
        List<String> command = new ArrayList<>();
        command.add("go");
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException noGo) {
            throw new Unavailable("go is not on PATH (" + noGo.getMessage() + "); the relying parties are built with it");
        }
        p.getOutputStream().close();
        Path log = Files.createTempFile("ci-jwt-go-", ".log");
        try {
            Thread drain = new Thread(() -> {
                try {
                    Files.copy(p.getInputStream(), log, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException ignored) {
                    // The process was killed; what was written so far is in the log.
                }
            });
            drain.start();
            if (!p.waitFor(BUILD_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                drain.join();
                throw new IOException("go " + String.join(" ", args) + " did not finish in " + BUILD_TIMEOUT.toMinutes() + " min");
            }
            drain.join();
            String out = Files.readString(log, UTF_8);
            if (p.exitValue() != 0) {
                String tail = tail(out, 12);
                if (UNREACHABLE.matcher(out).find()) {
                    throw new Unavailable("go " + String.join(" ", args) + " cannot download its modules: " + tail);
                }
                throw new IOException("go " + String.join(" ", args) + " failed (exit " + p.exitValue() + "):\n" + tail);
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** Copies a module out of the read-only module cache into a writable tree. */
    private static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                    target.toFile().setWritable(true, true);
                }
                target.toFile().setWritable(true, true);
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                p.toFile().setWritable(true, true);
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public String toString() {
        return name + " " + version + " (" + home() + ")";
    }
}
