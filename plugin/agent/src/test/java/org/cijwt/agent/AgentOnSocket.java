package org.cijwt.agent;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.metrics.OperatorMetrics;

/**
 * A real agent (ephemeral keys, {@link TestAgentConfigs#vaultJwt()}, a hand-driven scheduler) with
 * its API on a real Unix socket in a test's directory, and a client that opens a connection per
 * request, as the runtime wrapper does (HTTP/1.0).
 */
final class AgentOnSocket implements AutoCloseable {
    /** One answer: status, the header {@code CI-JWT-Managed} (null when absent), and the body. */
    record Answer(int status, String managedHeader, String body) {
    }

    final Agent agent;
    private final Vertx vertx;
    private final HttpServer server;
    private final HttpClientAgent client;
    private final Path socket;

    private AgentOnSocket(Agent agent, Vertx vertx, HttpServer server, HttpClientAgent client, Path socket) {
        this.agent = agent;
        this.vertx = vertx;
        this.server = server;
        this.client = client;
        this.socket = socket;
    }

    /** Starts the agent with its state in {@code dir}/state, as {@code configure} adds to its builder, on {@code dir}/agent.sock. */
    static AgentOnSocket start(Path dir, UnaryOperator<Agent.Builder> configure) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ReloadingKeyRing keys = ReloadingKeyRing.start(KeySources.resolve(KeySources.EPHEMERAL, KeySources.Options.defaults()),
                Clock.systemUTC());
        Agent agent = configure.apply(Agent.builder(keys, TestAgentConfigs.vaultJwt(), dir.resolve("state")).registry(registry)
                .scheduler(new HandScheduler(System::nanoTime))).start();
        Vertx vertx = Vertx.vertx();
        Path socket = dir.resolve("agent.sock");
        HttpServer server = await(new AgentApi(agent, agent.metrics(), registry,
                OperatorMetrics.bind(registry, "agent", keys, Clock.systemUTC())).listen(vertx, socket));
        return new AgentOnSocket(agent, vertx, server, vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false)), socket);
    }

    /** Sends one request ({@code body} null for none, else JSON) and waits for the whole answer. */
    Answer send(HttpMethod method, String uri, String body) throws Exception {
        RequestOptions options = new RequestOptions().setServer(SocketAddress.domainSocketAddress(socket.toString()))
                .setHost("agent").setMethod(method).setURI(uri);
        if (body != null) {
            options.putHeader("Content-Type", "application/json");
        }
        return await(client.request(options).compose(req -> body == null ? req.send() : req.send(body)).compose(resp -> resp.body()
                .map(b -> new Answer(resp.statusCode(), resp.getHeader(AgentApi.MANAGED_HEADER), b.toString()))));
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        await(client.close());
        await(server.close());
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        agent.close();
    }
}
