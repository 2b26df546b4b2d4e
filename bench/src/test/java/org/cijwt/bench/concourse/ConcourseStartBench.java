package org.cijwt.bench.concourse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.cijwt.fixtures.launch.Concourse;
import org.cijwt.fixtures.launch.Runc;

/**
 * What the Concourse look-up adds to a task container's start, measured on a real Concourse (the
 * fixtures' launcher: PostgreSQL, web, worker on containerd) in one run: every runc call of the
 * worker goes through a timing shim that, per call, either runs runc itself ({@code plain}) or
 * {@code ci-jwt-runtime} in front of runc under the {@code concourse} identity source, talking to
 * a real {@code ci-jwt agent} (the product jar, with the launcher's JVM settings) that asks
 * Concourse which build each handle belongs to and writes the task's token. The arm is switched
 * between builds, so the two are interleaved.
 *
 * <p>A task container's start is what its build waits for before the task's command runs: runc
 * {@code create} (where the look-up and the token writes are), {@code start}, and the first
 * {@code exec} (the command, into which the wrapper copies the token variables). The tasks use a
 * {@code raw://} root file system, so no image check or get container is made: every container of
 * the run is a task's. Reported: median and p99 of {@code create} and of the whole start per arm,
 * and their ratio, for one task at a time ({@code --builds} builds per arm) and for a job of
 * {@code --parallel} tasks started at once (one build per arm).
 *
 * <p>The timing shim is bash reading {@code $EPOCHREALTIME} (no fork), so both arms carry the same
 * shim cost. Run by {@code bench/run concourse}; prints one Markdown table for BENCHMARKS.md.
 */
public final class ConcourseStartBench {
    private static final Duration FLY = Duration.ofMinutes(10);

    private final Concourse concourse;
    private final Path work;
    private final Path armFile;
    private final Path timings;

    private ConcourseStartBench(Concourse concourse, Path work) {
        this.concourse = concourse;
        this.work = work;
        this.armFile = work.resolve("arm");
        this.timings = work.resolve("runc-timings.log");
    }

    public static void main(String[] args) throws Exception {
        int builds = 30;
        int warmup = 3;
        int parallel = 100;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--builds" -> builds = positive(args, ++i);
                case "--warmup" -> warmup = positive(args, ++i);
                case "--parallel" -> parallel = positive(args, ++i);
                default -> {
                    System.err.println("bench/run concourse: unknown option " + args[i]
                            + " (options: --builds N, --warmup N, --parallel N)");
                    System.exit(2);
                }
            }
        }
        Path root = Path.of("").toAbsolutePath();
        Path wrapper = root.resolve("plugin/runtime/target/ci-jwt-runtime");
        Path jar = root.resolve("plugin/cli/target/ci-jwt.jar");
        for (Path p : List.of(wrapper, jar)) {
            if (!Files.isRegularFile(p)) {
                System.err.println("bench/run concourse: " + p + " is missing; build first (bench/run concourse without --no-build)");
                System.exit(2);
            }
        }
        Path work = Files.createTempDirectory("ci-jwt-concourse-bench-");
        // PostgreSQL and the tasks' user (host uid 4294967294) reach into it.
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path socket = work.resolve("run/agent.sock");
        Files.createDirectories(socket.getParent());
        writeShim(work, wrapper, socket);
        Files.writeString(work.resolve("arm"), "plain");
        Process agent = null;
        try (Concourse concourse = Concourse.builder().runcWrapperDir(work.resolve("shim")).start()) {
            Path password = concourse.agentUser().writePasswordFile(work);
            agent = startAgent(root.resolve("ci-jwt"), socket, work.resolve("run/agent"), concourse, password, work.resolve("agent.log"));
            ConcourseStartBench bench = new ConcourseStartBench(concourse, work);
            bench.setPipeline(parallel);
            System.err.printf("concourse: %d warm-up and %d measured builds per arm, then %d tasks at once per arm%n",
                    warmup, builds, parallel);
            bench.run(warmup, builds, parallel);
        } finally {
            if (agent != null) {
                agent.destroy();
                agent.waitFor();
            }
            deleteRecursively(work);
        }
    }

    private static int positive(String[] args, int i) {
        try {
            int n = Integer.parseInt(args[i]);
            if (n > 0) {
                return n;
            }
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            // reported below
        }
        System.err.println("bench/run concourse: " + args[i - 1] + " takes a positive whole number");
        System.exit(2);
        return 0;
    }

    /**
     * The runc that Concourse's containerd finds first on its PATH: times each call and runs either
     * runc or ci-jwt-runtime, by what the arm file says at that moment.
     */
    private static void writeShim(Path work, Path wrapper, Path socket) throws IOException {
        Path runc = Files.createDirectories(work.resolve("shim/bin")).resolve("runc");
        String realRunc = Runc.binary().orElseThrow(() -> new IOException("no runc on this machine")).toString();
        Files.writeString(runc, String.join("\n",
                "#!/bin/bash",
                "arm=$(<" + work.resolve("arm") + ")",
                "t0=$EPOCHREALTIME",
                "if [ \"$arm\" = ci-jwt ]; then",
                "  CI_JWT_AGENT_SOCKET=" + socket + " CI_JWT_IDENTITY_SOURCE=concourse CI_JWT_RUNC=" + realRunc
                        + " " + wrapper + " \"$@\"",
                "else",
                "  " + realRunc + " \"$@\"",
                "fi",
                "rc=$?",
                "t1=$EPOCHREALTIME",
                // The verb and the container id: the first argument not a flag (nor a flag's value) and the last.
                "verb=''; for a in \"$@\"; do case \"$a\" in create|start|exec|delete|kill|state|run) verb=$a; break;; esac; done",
                "echo \"$arm $verb ${@: -1} $t0 $t1 $rc\" >> " + work.resolve("runc-timings.log"),
                "exit $rc",
                ""), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(runc, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** {@code ./ci-jwt agent}: the launcher's own JVM settings for the agent. */
    private static Process startAgent(Path launcher, Path socket, Path state, Concourse concourse, Path password, Path log)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(launcher.toString(), "agent",
                "--socket", socket.toString(), "--state-dir", state.toString(), "--keys", "ephemeral",
                "--identity-source", "concourse", "--concourse-url", concourse.url().toString(),
                "--concourse-user", concourse.agentUser().name(), "--concourse-password-file", password.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(socket)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroy();
                throw new IOException("the agent did not start: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        return p;
    }

    private void setPipeline(int parallel) throws Exception {
        StringBuilder yaml = new StringBuilder();
        String task = "    config: {platform: linux, rootfs_uri: 'raw://" + concourse.rootfs()
                + "', run: {path: /bin/true}}\n";
        yaml.append("jobs:\n- name: one\n  plan:\n  - task: start\n").append(task);
        yaml.append("- name: many\n  plan:\n  - in_parallel:\n      steps:\n");
        for (int i = 0; i < parallel; i++) {
            yaml.append("      - task: t").append(i).append('\n')
                    .append(task.replace("    config:", "        config:"));
        }
        Path pipeline = work.resolve("bench.yml");
        Files.writeString(pipeline, yaml.toString(), StandardCharsets.UTF_8);
        fly("set-pipeline", "-n", "-p", "bench", "-c", pipeline.toString());
        fly("unpause-pipeline", "-p", "bench");
    }

    private void run(int warmup, int builds, int parallel) throws Exception {
        for (int i = 0; i < warmup; i++) {
            for (String arm : List.of("plain", "ci-jwt")) {
                build(arm, "bench/one");
            }
        }
        Files.deleteIfExists(timings);
        for (int i = 0; i < builds; i++) {
            // Alternate which arm goes first, so neither always follows the other.
            List<String> order = i % 2 == 0 ? List.of("plain", "ci-jwt") : List.of("ci-jwt", "plain");
            for (String arm : order) {
                build(arm, "bench/one");
            }
        }
        Map<String, List<Start>> one = starts();
        Files.deleteIfExists(timings);
        Map<String, Long> wall = new HashMap<>();
        for (String arm : List.of("plain", "ci-jwt")) {
            long t0 = System.nanoTime();
            build(arm, "bench/many");
            wall.put(arm, System.nanoTime() - t0);
        }
        Map<String, List<Start>> many = starts();
        print(one, many, wall, builds, parallel);
    }

    private void build(String arm, String job) throws Exception {
        Files.writeString(armFile, arm);
        fly("trigger-job", "-j", job, "-w");
    }

    /** A container's runc calls until its task's command ran, in microseconds. */
    private record Start(long create, long start, long exec) {
        long total() {
            return create + start + exec;
        }
    }

    /** Per arm, each container's create, start and first exec from the shim's log. */
    private Map<String, List<Start>> starts() throws IOException {
        Map<String, Map<String, long[]>> byArm = new HashMap<>();
        for (String line : Files.readAllLines(timings)) {
            String[] f = line.split(" ");
            if (f.length != 6 || !"0".equals(f[5])) {
                continue;
            }
            long micros = Math.round((Double.parseDouble(f[4]) - Double.parseDouble(f[3])) * 1e6);
            long[] t = byArm.computeIfAbsent(f[0], a -> new HashMap<>()).computeIfAbsent(f[2], id -> new long[] {-1, -1, -1});
            switch (f[1]) {
                case "create" -> t[0] = micros;
                case "start" -> t[1] = micros;
                case "exec" -> t[2] = t[2] < 0 ? micros : t[2];
                default -> { }
            }
        }
        Map<String, List<Start>> out = new HashMap<>();
        byArm.forEach((arm, ids) -> out.put(arm, ids.values().stream().filter(t -> t[0] >= 0 && t[1] >= 0 && t[2] >= 0)
                .map(t -> new Start(t[0], t[1], t[2])).toList()));
        return out;
    }

    private static void print(Map<String, List<Start>> one, Map<String, List<Start>> many, Map<String, Long> wall,
                              int builds, int parallel) {
        System.out.println("| task containers | measure | without ci-jwt | with ci-jwt (concourse source) | ratio |");
        System.out.println("|---|---|---:|---:|---:|");
        row("one at a time (" + builds + " per arm)", "create, median", one, Start::create, 50);
        row("", "create, p99", one, Start::create, 99);
        row("", "create + start + exec, median", one, Start::total, 50);
        row("", "create + start + exec, p99", one, Start::total, 99);
        row(parallel + " at once (1 build per arm)", "create, median", many, Start::create, 50);
        row("", "create, p99", many, Start::create, 99);
        row("", "create + start + exec, median", many, Start::total, 50);
        row("", "create + start + exec, p99", many, Start::total, 99);
        double plain = wall.get("plain") / 1e9;
        double withCiJwt = wall.get("ci-jwt") / 1e9;
        System.out.printf(Locale.ROOT, "| %d at once | the build, trigger to end | %.1f s | %.1f s | %.2f |%n", parallel, plain,
                withCiJwt, withCiJwt / plain);
        System.out.printf(Locale.ROOT, "%ncontainers measured: one at a time %d + %d, at once %d + %d (plain + ci-jwt)%n",
                one.getOrDefault("plain", List.of()).size(), one.getOrDefault("ci-jwt", List.of()).size(),
                many.getOrDefault("plain", List.of()).size(), many.getOrDefault("ci-jwt", List.of()).size());
    }

    private static void row(String what, String measure, Map<String, List<Start>> data,
                            java.util.function.ToLongFunction<Start> f, int percentile) {
        double plain = percentile(data.getOrDefault("plain", List.of()), f, percentile);
        double withCiJwt = percentile(data.getOrDefault("ci-jwt", List.of()), f, percentile);
        System.out.printf(Locale.ROOT, "| %s | %s | %.1f ms | %.1f ms | %.2f |%n", what, measure, plain / 1000, withCiJwt / 1000,
                withCiJwt / plain);
    }

    /** The nearest-rank percentile, in microseconds; NaN for no samples. */
    static double percentile(List<Start> starts, java.util.function.ToLongFunction<Start> f, int p) {
        if (starts.isEmpty()) {
            return Double.NaN;
        }
        long[] v = starts.stream().mapToLong(f).sorted().toArray();
        int rank = (int) Math.ceil(p / 100.0 * v.length);
        return v[Math.max(0, rank - 1)];
    }

    private String fly(String... args) throws Exception {
        Concourse.FlyResult r = concourse.fly(Concourse.MAIN_TEAM, FLY, args);
        if (!r.succeeded()) {
            throw new IOException("fly " + String.join(" ", args) + " failed: " + r);
        }
        return r.stdout();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
