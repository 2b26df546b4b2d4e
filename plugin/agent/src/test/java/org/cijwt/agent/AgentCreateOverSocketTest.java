package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.cijwt.fixtures.TestKeys;
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
    private AgentOnSocket served;

    @AfterEach
    void stop() throws Exception {
        if (served != null) {
            served.close();
        }
    }

    private AgentOnSocket.Answer create(Path bundle) throws Exception {
        return served.send(HttpMethod.POST, "/v1/containers", JSON.writeValueAsString(Map.of("id", "c1", "bundle", bundle.toString())));
    }

    private Path bundle(String annotations) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), CONFIG + (annotations.isEmpty() ? "" : ",\"annotations\":" + annotations) + "}");
        return bundle;
    }

    @Test
    void createWithIdAndBundleOnlyWhenTheBundleIsAnnotatedThen201AndTheTokenIsTheAnnotationsBuild() throws Exception {
        served = AgentOnSocket.start(dir, b -> b.identity(new AnnotationIdentity()));
        String metadata = JSON.readTree(TestKeys.metadata("main")).toString();
        Path bundle = bundle(JSON.writeValueAsString(Map.of(AnnotationIdentity.METADATA_ANNOTATION, metadata)));

        AgentOnSocket.Answer a = create(bundle);

        assertThat(a.status()).isEqualTo(201);
        assertThat(a.managedHeader()).isNull();
        String token = Files.readString(dir.resolve("state/tokens/c1/jwt")).strip();
        JsonNode claims = JSON.readTree(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8));
        assertThat(claims.path("pipeline").asText()).isEqualTo(JSON.readTree(metadata).path("pipeline").asText()).isNotEmpty();
    }

    @Test
    void createWithIdAndBundleOnlyWhenTheBundleHasNoAnnotationThen400AndNothingIsWritten() throws Exception {
        served = AgentOnSocket.start(dir, b -> b.identity(new AnnotationIdentity()));
        Path bundle = bundle("");

        AgentOnSocket.Answer a = create(bundle);

        assertThat(a.status()).isEqualTo(400);
        JsonNode body = JSON.readTree(a.body());
        assertThat(body.path("code").asText()).isEqualTo("CJ509");
        assertThat(body.path("error").asText()).contains(AnnotationIdentity.METADATA_ANNOTATION);
        assertThat(Files.readString(bundle.resolve("config.json"))).isEqualTo(CONFIG + "}");
        assertThat(served.agent.list()).isEmpty();
    }

    @Test
    void createWhenTheSourceLeavesTheContainerAloneThen200WithTheHeaderAndTheJson() throws Exception {
        served = AgentOnSocket.start(dir, b -> b.identity(TestIdentities.notManaged("not a task's container")));
        Path bundle = bundle("");

        AgentOnSocket.Answer a = create(bundle);

        assertThat(a.status()).isEqualTo(200);
        assertThat(a.managedHeader()).isEqualTo("false");
        JsonNode body = JSON.readTree(a.body());
        assertThat(body.path("managed").asBoolean(true)).isFalse();
        assertThat(body.path("reason").asText()).isEqualTo("not a task's container");
    }
}
