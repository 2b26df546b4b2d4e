package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.cijwt.fixtures.TestKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code DELETE /v1/containers/{id}?if=stopped}, which the runtime wrapper sends before runc deletes
 * a container: the agent forgets the container only once its init process has ended, over the
 * agent's real socket.
 */
class AgentDeleteIfStoppedTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Process init;
    private AgentOnSocket served;
    private Agent agent;
    private Path bundle;

    @BeforeEach
    void start() throws Exception {
        // Stands for the container's init process, named by the bundle's init.pid as containerd leaves it.
        init = new ProcessBuilder("sleep", "300").start();
        bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\","
                + "\"user\":{\"uid\":0,\"gid\":0}},\"root\":{\"path\":\"rootfs\"}}");
        Files.writeString(bundle.resolve("init.pid"), Long.toString(init.pid()));
        served = AgentOnSocket.start(dir, b -> b);
        agent = served.agent;
        agent.create(new ContainerService.CreateRequest("c1", bundle, Optional.of(JSON.readTree(TestKeys.metadata("main"))),
                Optional.empty()));
    }

    @AfterEach
    void stop() throws Exception {
        served.close();
        init.destroyForcibly();
        init.waitFor(10, TimeUnit.SECONDS);
    }

    private record Answer(int status, JsonNode body) {
    }

    private Answer delete(String uri) throws Exception {
        AgentOnSocket.Answer a = served.send(HttpMethod.DELETE, uri, null);
        return new Answer(a.status(), a.body().isEmpty() ? null : JSON.readTree(a.body()));
    }

    @Test
    void deleteIfStoppedWhenTheInitProcessRunsThen409AndTheTokensStay() throws Exception {
        Answer a = delete("/v1/containers/c1?if=stopped");

        assertThat(a.status()).isEqualTo(409);
        assertThat(a.body().path("code").asText()).isEqualTo("CJ515");
        assertThat(dir.resolve("state/tokens/c1/jwt")).as("its token").isNotEmptyFile();
        assertThat(bundle.resolve("config.json")).content().as("config.json still patched").contains("concourse-ci");
        assertThat(agent.list()).extracting(ContainerService.Container::id).containsExactly("c1");
    }

    @Test
    void deleteIfStoppedWhenTheInitProcessEndedThen204AndEverythingIsUndone() throws Exception {
        init.destroyForcibly();
        init.waitFor(10, TimeUnit.SECONDS);

        Answer a = delete("/v1/containers/c1?if=stopped");

        assertThat(a.status()).isEqualTo(204);
        assertThat(dir.resolve("state/tokens/c1")).as("its token directory").doesNotExist();
        assertThat(dir.resolve("state/containers/c1.json")).as("its record").doesNotExist();
        assertThat(bundle.resolve("config.json")).content().as("config.json reverted").doesNotContain("concourse-ci");
        assertThat(agent.list()).isEmpty();
        assertThat(delete("/v1/containers/c1?if=stopped").status()).as("asked again").isEqualTo(404);
    }

    @Test
    void deleteWhenTheConditionIsNotStoppedThen400AndNothingChanges() throws Exception {
        for (String uri : new String[] {"/v1/containers/c1?if=running", "/v1/containers/c1?if=stopped&if=stopped", "/v1/containers/c1?if="}) {
            Answer a = delete(uri);

            assertThat(a.status()).as(uri).isEqualTo(400);
            assertThat(a.body().path("code").asText()).as(uri).isEqualTo("CJ509");
        }
        assertThat(agent.list()).extracting(ContainerService.Container::id).containsExactly("c1");
    }

    @Test
    void deleteWithoutAConditionThenTheTokensGoThoughTheInitProcessRuns() throws Exception {
        assertThat(delete("/v1/containers/c1").status()).isEqualTo(204);
        assertThat(dir.resolve("state/tokens/c1")).doesNotExist();
    }
}
