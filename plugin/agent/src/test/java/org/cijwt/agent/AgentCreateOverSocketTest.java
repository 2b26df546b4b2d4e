package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.metrics.OperatorMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/containers} as the runtime wrapper's fast path sends it, over the agent's real
 * socket: the id and bundle only, the annotations read by the agent, and the header that says "not
 * managed" to a client that reads no JSON.
 */
class AgentCreateOverSocketTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIG = "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\","
            + "\"user\":{\"uid\":0,\"gid\":0}},\"root\":{\"path\":\"rootfs\"}";

    @TempDir
    Path dir;
    private Vertx vertx;
    private Agent agent;
    private HttpServer server;
    private HttpClientAgent client;
    private Path socket;

    private void start(IdentitySource identity) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ReloadingKeyRing keys = ReloadingKeyRing.start(KeySources.resolve(KeySources.EPHEMERAL, KeySources.Options.defaults()),
                Clock.systemUTC());
        agent = Agent.builder(keys, TestAgentConfigs.vaultJwt(), dir.resolve("state")).registry(registry).identity(identity)
                .scheduler(new HandScheduler(System::nanoTime)).start();
        vertx = Vertx.vertx();
        socket = dir.resolve("agent.sock");
        server = await(new AgentApi(agent, agent.metrics(), registry,
                OperatorMetrics.bind(registry, "agent", keys, Clock.systemUTC())).listen(vertx, socket));
        client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
    }

    @AfterEach
    void stop() throws Exception {
        await(client.close());
        await(server.close());
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        agent.close();
    }

    private record Answer(int status, String managedHeader, JsonNode body) {
    }

    private Answer create(Path bundle) throws Exception {
        RequestOptions options = new RequestOptions().setServer(SocketAddress.domainSocketAddress(socket.toString()))
                .setHost("agent").setMethod(HttpMethod.POST).setURI("/v1/containers").putHeader("Content-Type", "application/json");
        String body = JSON.writeValueAsString(Map.of("id", "c1", "bundle", bundle.toString()));
        return await(client.request(options).compose(req -> req.send(body)).compose(resp -> resp.body()
                .map(b -> new Answer(resp.statusCode(), resp.getHeader(AgentApi.MANAGED_HEADER), readTree(b.toString())))));
    }

    private static JsonNode readTree(String s) {
        try {
            return JSON.readTree(s);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private Path bundle(String annotations) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), CONFIG + (annotations.isEmpty() ? "" : ",\"annotations\":" + annotations) + "}");
        return bundle;
    }

    @Test
    void createWithIdAndBundleOnlyWhenTheBundleIsAnnotatedThen201AndTheTokenIsTheAnnotationsBuild() throws Exception {
        start(new AnnotationIdentity());
        String metadata = JSON.readTree(TestKeys.metadata("main")).toString();
        Path bundle = bundle(JSON.writeValueAsString(Map.of(AnnotationIdentity.METADATA_ANNOTATION, metadata)));

        Answer a = create(bundle);

        assertThat(a.status()).isEqualTo(201);
        assertThat(a.managedHeader()).isNull();
        String token = Files.readString(dir.resolve("state/tokens/c1/jwt")).strip();
        JsonNode claims = JSON.readTree(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8));
        assertThat(claims.path("pipeline").asText()).isEqualTo(JSON.readTree(metadata).path("pipeline").asText()).isNotEmpty();
    }

    @Test
    void createWithIdAndBundleOnlyWhenTheBundleHasNoAnnotationThen400AndNothingIsWritten() throws Exception {
        start(new AnnotationIdentity());
        Path bundle = bundle("");

        Answer a = create(bundle);

        assertThat(a.status()).isEqualTo(400);
        assertThat(a.body().path("code").asText()).isEqualTo("CJ509");
        assertThat(a.body().path("error").asText()).contains(AnnotationIdentity.METADATA_ANNOTATION);
        assertThat(Files.readString(bundle.resolve("config.json"))).isEqualTo(CONFIG + "}");
        assertThat(agent.list()).isEmpty();
    }

    @Test
    void createWhenTheSourceLeavesTheContainerAloneThen200WithTheHeaderAndTheJson() throws Exception {
        start(new IdentitySource() {
            @Override
            public String name() {
                return "test";
            }

            @Override
            public Identity identify(ContainerService.CreateRequest request) {
                return new NotManaged("not a task's container");
            }
        });
        Path bundle = bundle("");

        Answer a = create(bundle);

        assertThat(a.status()).isEqualTo(200);
        assertThat(a.managedHeader()).isEqualTo("false");
        assertThat(a.body().path("managed").asBoolean(true)).isFalse();
        assertThat(a.body().path("reason").asText()).isEqualTo("not a task's container");
    }
}
