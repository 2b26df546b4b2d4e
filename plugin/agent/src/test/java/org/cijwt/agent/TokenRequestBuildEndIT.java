package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.PemKeySource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A token on request is never minted for a build that has ended, even between two sweeps of the
 * build watch: the agent asks its identity source at each request. The caller is a real process
 * in a real PID namespace of its own ({@code unshare --pid}, its init's PID in the bundle as a
 * runtime leaves it); the identity source's answer about the build is the test's (the Concourse
 * API's own answer is ConcourseTokenRequestIT's and ConcourseDeliveryIT's).
 */
class TokenRequestBuildEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Process init;
    private Agent agent;

    /** Annotation metadata as the build; whether it ended is what the test says. */
    private static final class BuildSaysEnded implements IdentitySource {
        final AtomicBoolean ended = new AtomicBoolean();

        @Override
        public String name() {
            return "test";
        }

        @Override
        public Identity identify(ContainerService.CreateRequest request) {
            return new Build(request.metadata().orElseThrow());
        }

        @Override
        public boolean buildEnded(BuildMetadata build) {
            return ended.get();
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (init != null) {
            init.descendants().forEach(ProcessHandle::destroyForcibly);
            init.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void requestWhenTheBuildHasEndedThenRefusedAtOnceWithCJ514AndNoToken() throws Exception {
        if (!"0".equals(String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid")))) {
            Assume.unavailable("a PID namespace of its own (unshare --pid) needs root");
        }
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\","
                + "\"user\":{\"uid\":0,\"gid\":0}},\"root\":{\"path\":\"rootfs\"}}");
        init = new ProcessBuilder("unshare", "--pid", "--fork", "/bin/sleep", "600").start();
        long initPid = awaitChild(init);
        Files.writeString(bundle.resolve("init.pid"), Long.toString(initPid));

        BuildSaysEnded identity = new BuildSaysEnded();
        AgentConfig config = AgentConfig.parse(String.join("\n",
                "issuer: https://ci.example.test",
                "profiles:",
                "  default:",
                "    tokens: [{name: jwt, audiences: [vault], ttl: 10m}]",
                "    on_request: {audiences: [sts.amazonaws.com]}",
                ""), "test agent config", null);
        KeyRing ring = PemKeySource.file(TestKeys.copyPrivate(TestKeys.P256, dir)).load();
        agent = Agent.builder(() -> ring, config, dir.resolve("state")).identity(identity).start();
        agent.create(new ContainerService.CreateRequest("build-end", bundle,
                Optional.of(JSON.readTree(TestKeys.metadata("main"))), Optional.empty()));
        Path socket = dir.resolve("state/tokens/build-end").resolve(TokenSockets.SOCKET_NAME);

        assertThat(ask(initPid, socket)).as("while the build runs").contains("\"token\":\"eyJ");
        identity.ended.set(true);
        String after = ask(initPid, socket);

        assertThat(after).contains("\"code\":\"CJ514\"").contains("build 1234 of container build-end has ended")
                .doesNotContain("eyJ");
    }

    /** POST /v1/tokens from a process in the PID namespace of {@code initPid}. */
    private static String ask(long initPid, Path socket) throws Exception {
        Process p = new ProcessBuilder("nsenter", "--target", Long.toString(initPid), "--pid", "--", "curl", "-s", "--max-time", "20",
                "--unix-socket", socket.toString(), "--data-binary", "{\"audience\":[\"sts.amazonaws.com\"]}",
                "http://ci-jwt/v1/tokens").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    /** The host PID of unshare's child, the new namespace's init. */
    private static long awaitChild(Process unshare) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            List<ProcessHandle> children = unshare.children().toList();
            if (!children.isEmpty()) {
                return children.get(0).pid();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("unshare started no child");
    }
}
