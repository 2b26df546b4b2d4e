package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.Concourse;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.PemKeySource;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real Concourse pipeline task asks for a second audience (issue 19): Concourse's containerd
 * runs {@code ci-jwt-runtime} in front of runc, the agent learns the build from the Concourse API
 * ({@code concourse} identity source), and the task's command (started by {@code runc exec}, in a
 * user namespace, as host uid 4294967294) asks on {@code /var/run/secrets/concourse-ci/token.sock}
 * with the static client in its image. Kept to one build: Concourse is one per machine.
 */
class ConcourseTokenRequestIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ISSUER = "https://ci.example.test";
    private static final Pattern LINE = Pattern.compile("^(JWT|STS|EVIL)=(.*)$", Pattern.MULTILINE);

    private static ConcourseUnderTest world;
    private static Path work;
    private static Concourse concourse;
    private static AgentProcess agent;
    private static KeyRing published;

    @BeforeAll
    static void startConcourseAndTheAgent() throws Exception {
        Assume.concourse();
        world = ConcourseUnderTest.start("concourse-request");
        work = world.work;
        concourse = world.concourse;
        Path key = TestKeys.copyPrivate(TestKeys.P256, Files.createDirectories(work.resolve("keys")));
        published = PemKeySource.file(key).load();
        AgentConfig config = AgentConfig.parse(String.join("\n",
                "issuer: " + ISSUER,
                "profiles:",
                "  default:",
                "    tokens: [{name: jwt, audiences: [vault], ttl: 10m}]",
                "    on_request: {audiences: [sts.amazonaws.com], max_ttl: 15m, rate_per_minute: 60}",
                ""), "test agent config", null).withIdentity(world.identity);
        agent = Agent.run(new AgentSettings(config, world.socket, work.resolve("run/agent"), PemKeySource.file(key), null,
                world.identity.open(), 0, world.wrapperBinary));
    }

    @AfterAll
    static void stopAll() throws Exception {
        if (world != null) {
            world.stopConcourse();
        }
        if (agent != null) {
            agent.close();
        }
        if (world != null) {
            world.close();
        }
    }

    @Test
    void pipelineTaskWhenItAsksForASecondAudienceThenItGetsItWithItsBuildsClaimsAndAnUnlistedOneIsRefused() throws Exception {
        // The task image is the kit's busybox root file system as it is; the client comes with the token socket.
        Path pipeline = concourse.writeTaskPipeline(work.resolve("pipeline.yml"), "apply", "plan",
                "echo \"JWT=$CONCOURSE_CI_JWT\"; "
                + "echo \"STS=$(" + TokenClient.IN_CONTAINER + " token --audience sts.amazonaws.com --lifetime 5m 2>&1)\"; "
                + "echo \"EVIL=$(" + TokenClient.IN_CONTAINER + " token --audience https://evil.example 2>&1)\"");
        fly("set-pipeline", "-n", "-p", "deploy", "-c", pipeline.toString());
        fly("unpause-pipeline", "-p", "deploy");

        String output = fly("trigger-job", "-j", "deploy/apply", "-w");

        Map<String, String> seen = new HashMap<>();
        Matcher m = LINE.matcher(output);
        while (m.find()) {
            seen.put(m.group(1), m.group(2).strip());
        }
        assertThat(seen).as(output).containsKeys("JWT", "STS", "EVIL");
        String sts = seen.get("STS");
        Verification v = new TokenVerifier(() -> published, ISSUER, List.of("sts.amazonaws.com"), TokenVerifier.DEFAULT_LEEWAY,
                Clock.systemUTC()).verify(sts);
        assertThat(v.active()).as(sts + "\n" + v).isTrue();
        JsonNode asked = claims(sts);
        JsonNode delivered = claims(seen.get("JWT"));
        for (String claim : List.of("sub", "team", "teamid", "pipeline", "pipelineid", "job", "jobid", "task", "buildid",
                "build_name", "step_type", "worker")) {
            assertThat(asked.path(claim)).as(claim).isEqualTo(delivered.path(claim));
        }
        JsonNode build = JSON.readTree(fly("builds", "--json", "--count", "1")).get(0);
        assertThat(asked.path("buildid").asText()).isEqualTo(build.path("id").asText());
        assertThat(asked.path("aud").asText()).isEqualTo("sts.amazonaws.com");
        assertThat(asked.path("exp").asLong() - asked.path("iat").asLong()).isEqualTo(300);
        assertThat(seen.get("EVIL")).contains("CJ511 audience 'https://evil.example' is not allowed").doesNotContain("eyJ");
    }

    private static JsonNode claims(String token) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    }

    private static String fly(String... args) throws Exception {
        return world.fly(Concourse.MAIN_TEAM, args);
    }
}
