package org.cijwt.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.ProjectPaths;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.BusyboxRootfs;
import org.cijwt.fixtures.launch.Containerd;

/**
 * A worker as in production: a real containerd (its own root, state and socket) whose runc is the
 * runtime wrapper {@code ci-jwt-runtime}, and {@code ci-jwt agent} signing with the committed TEST
 * ES256 key that {@link Issuer} publishes. A task is a busybox container annotated with its build's
 * metadata; it reads its token where every task does, {@code $CONCOURSE_CI_JWT_FILE}.
 */
final class Worker implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(2);
    /** The kid of the TEST ES256 key in the committed signing JWKS. */
    static final String KEY_ID = TestKeys.Alg.ES256.kid();

    private final Containerd containerd;
    private final ServerProcess agent;
    private final Path wrapper;
    private final Path rootfs;

    private Worker(Containerd containerd, ServerProcess agent, Path wrapper, Path rootfs) {
        this.containerd = containerd;
        this.agent = agent;
        this.wrapper = wrapper;
        this.rootfs = rootfs;
    }

    /** Skips (on CI fails) unless containerd and runc can run here as root. */
    static void assumeAvailable() {
        Assume.containerd();
    }

    /** Starts containerd and an agent whose default profile gives each task one token for {@code audience}. */
    static Worker start(Path dir, String issuer, String audience) throws IOException, InterruptedException {
        assumeAvailable();
        Path wrapper = ProjectPaths.repoRoot().resolve("plugin/runtime/target/ci-jwt-runtime");
        assertThat(wrapper).as("the Go build of the wrapper (plugin/runtime's test phase, or ./ci-jwt-runtime --build)").isExecutable();
        Path rootfs = BusyboxRootfs.shared();
        Path socket = dir.resolve("run/agent.sock");
        Path keys = TestKeys.copyPrivate(TestKeys.SIGNING_JWKS, dir);
        Path config = Files.writeString(dir.resolve("agent.yml"), String.join("\n",
                "issuer: " + issuer,
                "profiles:",
                "  default: {tokens: [{name: jwt, audiences: [\"" + audience + "\"], ttl: 10m, algorithm: ES256}]}",
                ""));
        Containerd containerd = Containerd.start(Files.createDirectories(dir.resolve("containerd")),
                Map.of("CI_JWT_AGENT_SOCKET", socket.toString()));
        try {
            ServerProcess agent = ServerProcess.ciJwt(dir, "agent", () -> Files.exists(socket) && readyz(socket),
                    "agent", "--socket", socket.toString(), "--state-dir", dir.resolve("state").toString(),
                    "--keys", keys.toString(), "--key-id", KEY_ID, "--config", config.toString());
            return new Worker(containerd, agent, wrapper, rootfs);
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            containerd.close();
            throw e;
        }
    }

    /**
     * Runs {@code script} with {@code /bin/sh -c} in a task container of the build {@code metadata}
     * (the sample build {@code main} with these claims changed), on the host's network, with extra
     * {@code ctr run} flags (bind mounts, environment).
     */
    Containerd.Result runTask(Map<String, String> metadataChanges, List<String> flags, String script)
            throws IOException, InterruptedException {
        ObjectNode metadata = (ObjectNode) JSON.readTree(TestKeys.metadata("main"));
        metadataChanges.forEach(metadata::put);
        List<String> all = new ArrayList<>(List.of("--net-host"));
        all.addAll(flags);
        Containerd.Result r = containerd.run("task-" + System.nanoTime(), wrapper, rootfs,
                Map.of("org.cijwt.metadata", metadata.toString()), all, RUN_TIMEOUT, "/bin/sh", "-c", script);
        assertThat(r.exitCode()).as("task output:\n%s\nagent:\n%s", r.output(), agent.log()).isZero();
        return r;
    }

    /** A read-only bind mount of a host file or directory for {@code ctr run}. */
    static List<String> mountReadOnly(Path host, String inContainer) {
        return List.of("--mount", "type=bind,src=" + host + ",dst=" + inContainer + ",options=rbind:ro");
    }

    /** A writable bind mount of a host directory for {@code ctr run}. */
    static List<String> mountWritable(Path host, String inContainer) {
        return List.of("--mount", "type=bind,src=" + host + ",dst=" + inContainer + ",options=rbind:rw");
    }

    private static boolean readyz(Path socket) {
        try {
            Process p = new ProcessBuilder("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                    "--unix-socket", socket.toString(), "http://agent/readyz").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return p.waitFor(10, TimeUnit.SECONDS) && out.trim().equals("200");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        try {
            agent.close();
        } finally {
            containerd.close();
        }
    }
}
