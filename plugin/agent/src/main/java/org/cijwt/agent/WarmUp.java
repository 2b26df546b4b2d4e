package org.cijwt.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cijwt.errors.CiJwtException;
import org.cijwt.io.FileOwner;
import org.cijwt.io.PrivateDirectories;
import org.cijwt.io.Trees;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.metrics.OperatorMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's warm-up at start: create and delete pairs, each profile in turn, through a throw-away
 * agent and its HTTP API on a private socket, before the real socket serves. The JIT then has
 * compiled the API, the JSON, the signers and the file writes, so the first containers after a
 * start are not several times slower than the later ones (BENCHMARKS.md, "A container's whole
 * life"). The throw-away agent takes the build from a fixed sample, never from Concourse, and
 * everything it writes stays in {@code <state dir>/warm-up}, removed at the end.
 */
final class WarmUp {
    private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final String METADATA = "{\"team\":\"warm-up\",\"teamid\":\"0\",\"pipeline\":\"warm-up\",\"pipelineid\":\"0\","
            + "\"instance_vars\":{\"branch\":\"warm-up\"},\"job\":\"warm-up\",\"jobid\":\"0\",\"buildid\":\"0\",\"build_name\":\"0\","
            + "\"task\":\"warm-up\",\"step_type\":\"task\",\"worker\":\"warm-up\"}";

    private WarmUp() {
    }

    /**
     * Runs {@code pairs} create and delete pairs; a failure ends the warm-up with a warning, never the agent.
     *
     * @return the pairs that were answered as they should be
     */
    static int run(Vertx vertx, ReloadingKeyRing keys, AgentConfig config, Path stateDir, int pairs) {
        if (pairs <= 0) {
            return 0;
        }
        long started = System.nanoTime();
        Path dir = stateDir.resolve("warm-up");
        int[] done = {0};
        try {
            if (Files.exists(dir)) {
                Trees.deleteRecursively(dir);
            }
            PrivateDirectories.ensure(dir);
            exercise(vertx, keys, config, dir, pairs, done);
        } catch (CiJwtException | IOException | RuntimeException e) {
            LOG.warn("warm-up stopped after {} of {} create/delete pairs: {}", done[0], pairs, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Trees.deleteRecursively(dir);
            } catch (IOException e) {
                LOG.warn("warm-up directory {} cannot be removed: {}", dir, e.getMessage());
            }
        }
        LOG.info("warm-up: {} create/delete pairs in {} ms", done[0], (System.nanoTime() - started) / 1_000_000);
        return done[0];
    }

    /** The pairs themselves; {@code done[0]} counts those answered as they should be. */
    private static void exercise(Vertx vertx, ReloadingKeyRing keys, AgentConfig config, Path dir, int pairs, int[] done)
            throws CiJwtException, IOException, InterruptedException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Path socket = dir.resolve("agent.sock");
        FileOwner self = FileOwner.ofThisProcess();
        String spec = "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\",\"user\":{\"uid\":" + self.uid()
                + ",\"gid\":" + self.gid() + "}},\"root\":{\"path\":\"rootfs\"}}";
        List<String> profiles = List.copyOf(config.profiles().keySet());
        try (Agent agent = Agent.builder(keys, config, dir.resolve("state")).registry(registry).start()) {
            HttpServer server = await(new AgentApi(agent, agent.metrics(), registry,
                    OperatorMetrics.bind(registry, "agent", keys, Clock.systemUTC())).listen(vertx, socket));
            HttpClientAgent client = vertx.createHttpClient();
            try {
                for (; done[0] < pairs; done[0]++) {
                    String id = "warm-up-" + done[0];
                    Path bundle = Files.createDirectories(dir.resolve("bundles").resolve(id));
                    Files.writeString(bundle.resolve("config.json"), spec, StandardCharsets.UTF_8);
                    ObjectNode body = AgentApi.JSON.createObjectNode().put("id", id).put("bundle", bundle.toString())
                            .put("profile", profiles.get(done[0] % profiles.size()));
                    body.set("metadata", AgentApi.JSON.readTree(METADATA));
                    expect(201, await(send(client, socket, HttpMethod.POST, "/v1/containers", body.toString())));
                    expect(204, await(send(client, socket, HttpMethod.DELETE, "/v1/containers/" + id, null)));
                    Trees.deleteRecursively(bundle);
                }
            } finally {
                // Awaited: closing the server removes its socket file, which must be gone before the directory is.
                await(client.close());
                await(server.close());
            }
        }
    }

    private static Future<Integer> send(HttpClientAgent client, Path socket, HttpMethod method, String uri, String body) {
        RequestOptions options = new RequestOptions().setServer(SocketAddress.domainSocketAddress(socket.toString()))
                .setHost("agent").setMethod(method).setURI(uri);
        return client.request(options)
                .compose(req -> body == null ? req.send() : req.putHeader("content-type", "application/json").send(Buffer.buffer(body)))
                .compose(resp -> resp.body().map(b -> resp.statusCode()));
    }

    private static void expect(int want, int got) throws IOException {
        if (got != want) {
            throw new IOException("the throw-away agent answered " + got + ", not " + want);
        }
    }

    private static <T> T await(Future<T> f) throws IOException, InterruptedException {
        try {
            return f.toCompletionStage().toCompletableFuture().get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("warm-up request: " + e.getMessage(), e);
        }
    }
}
