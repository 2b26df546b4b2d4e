package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.ProjectPaths;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.Concourse;
import org.cijwt.fixtures.launch.Runc;
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
    private static final Duration FLY = Duration.ofMinutes(3);
    private static final Pattern LINE = Pattern.compile("^(JWT|STS|EVIL)=(.*)$", Pattern.MULTILINE);

    private static Path work;
    private static Path rootfs;
    private static Concourse concourse;
    private static AgentProcess agent;
    private static KeyRing published;

    @BeforeAll
    static void startConcourseAndTheAgent() throws Exception {
        Assume.concourse();
        Path wrapperBinary = ProjectPaths.repoRoot().resolve("plugin/runtime/target/ci-jwt-runtime");
        assertThat(wrapperBinary).as("built by the runtime module's test phase").isExecutable();
        // Not @TempDir (0700): PostgreSQL and the tasks' user (host uid 4294967294) reach into it.
        work = Files.createTempDirectory("ci-jwt-concourse-request-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path run = work.resolve("run");
        Path socket = run.resolve("agent.sock");
        Path key = TestKeys.copyPrivate(TestKeys.P256, Files.createDirectories(work.resolve("keys")));
        published = PemKeySource.file(key).load();
        Path runc = Files.createDirectories(work.resolve("wrapper/bin")).resolve("runc");
        Files.writeString(runc, String.join("\n",
                "#!/bin/sh",
                "exec env CI_JWT_AGENT_SOCKET=" + socket + " CI_JWT_IDENTITY_SOURCE=concourse CI_JWT_RUNC="
                        + Runc.binary().orElseThrow() + " " + wrapperBinary + " \"$@\"",
                ""), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(runc, PosixFilePermissions.fromString("rwxr-xr-x"));
        concourse = Concourse.builder().runcWrapperDir(work.resolve("wrapper")).start();

        // The task image: the kit's busybox root file system as it is; the client comes with the token socket.
        rootfs = concourse.rootfs();

        Path password = concourse.agentUser().writePasswordFile(work);
        IdentityConfig identity = new IdentityConfig(ConcourseIdentity.NAME, concourse.url().toString(), concourse.agentUser().name(),
                password, null, null, null, false).validated();
        AgentConfig config = AgentConfig.parse(String.join("\n",
                "issuer: " + ISSUER,
                "profiles:",
                "  default:",
                "    tokens: [{name: jwt, audiences: [vault], ttl: 10m}]",
                "    on_request: {audiences: [sts.amazonaws.com], max_ttl: 15m, rate_per_minute: 60}",
                ""), "test agent config", null).withIdentity(identity);
        agent = Agent.run(new AgentSettings(config, socket, run.resolve("agent"), PemKeySource.file(key), null, identity.open(), 0,
                wrapperBinary));
    }

    @AfterAll
    static void stopAll() throws Exception {
        if (concourse != null) {
            concourse.close();
        }
        if (agent != null) {
            agent.close();
        }
        if (work != null) {
            try (Stream<Path> files = Files.walk(work)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void pipelineTaskWhenItAsksForASecondAudienceThenItGetsItWithItsBuildsClaimsAndAnUnlistedOneIsRefused() throws Exception {
        Path pipeline = work.resolve("pipeline.yml");
        Files.writeString(pipeline, String.join("\n",
                "jobs:",
                "- name: apply",
                "  plan:",
                "  - task: plan",
                "    config:",
                "      platform: linux",
                "      rootfs_uri: raw://" + rootfs,
                "      run:",
                "        path: /bin/sh",
                "        args: [-c, 'echo \"JWT=$CONCOURSE_CI_JWT\";"
                        + " echo \"STS=$(" + TokenClient.IN_CONTAINER + " token --audience sts.amazonaws.com --lifetime 5m 2>&1)\";"
                        + " echo \"EVIL=$(" + TokenClient.IN_CONTAINER + " token --audience https://evil.example 2>&1)\"']",
                ""), StandardCharsets.UTF_8);
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
        Concourse.FlyResult r = concourse.fly(Concourse.MAIN_TEAM, FLY, args);
        assertThat(r.succeeded()).as("fly " + String.join(" ", args) + ": " + r + "\n" + concourse.log()).isTrue();
        return r.stdout();
    }
}
