package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.ProjectPaths;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.BusyboxRootfs;
import org.cijwt.fixtures.launch.Containerd;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker agent as a separate process, with a real containerd using {@code ci-jwt-runtime} as
 * its runc, a busybox task, and a real OpenBao whose JWT auth trusts the agent's key.
 */
class AgentIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);
    private static final String ISSUER = "https://ci.example.test";
    private static final String AUDIENCE = "vault";

    @TempDir
    static Path dir;

    static Containerd containerd;
    static OpenBaoServer bao;
    static Path wrapper;
    static Path rootfs;
    static Path socket;
    static Path keyFile;
    static Path configFile;
    static Path stateDir;
    static KeyRing published;

    Process agent;

    @BeforeAll
    static void start() throws Exception {
        Assume.containerd();
        Assume.openBao();
        wrapper = ProjectPaths.repoRoot().resolve("plugin/runtime/target/ci-jwt-runtime");
        assertThat(wrapper).as("the Go build of the wrapper (plugin/runtime's test phase: ./cmd/ci-jwt-runtime)").isExecutable();
        rootfs = BusyboxRootfs.shared();
        socket = dir.resolve("run/agent.sock");
        stateDir = dir.resolve("state");
        keyFile = TestKeys.copyPrivate(TestKeys.P256, dir);
        published = new VerificationKeySource(TestKeys.copyPublic(TestKeys.P256_PUBLIC, dir)).load();
        configFile = Files.writeString(dir.resolve("agent.yml"), String.join("\n",
                "issuer: " + ISSUER,
                "profiles:",
                "  default: {tokens: [{name: jwt, audiences: [" + AUDIENCE + "], ttl: 10m}]}",
                "  aws: {tokens: [{name: jwt, audiences: [sts.amazonaws.com], ttl: 10m, aws: true}]}",
                ""));
        containerd = Containerd.start(Files.createDirectories(dir.resolve("containerd")),
                Map.of("CI_JWT_AGENT_SOCKET", socket.toString()));
        bao = OpenBaoServer.start();
        bao.apiOk("POST", "sys/auth/ci", "{\"type\":\"jwt\"}");
        bao.apiOk("POST", "auth/ci/config", JSON.createObjectNode().put("bound_issuer", ISSUER)
                .set("jwt_validation_pubkeys", JSON.createArrayNode().add(TestKeys.text(TestKeys.P256_PUBLIC))).toString());
        bao.apiOk("POST", "auth/ci/role/build", "{\"role_type\":\"jwt\",\"bound_audiences\":[\"" + AUDIENCE + "\"],"
                + "\"user_claim\":\"sub\",\"bound_claims\":{\"team\":\"main\",\"pipeline\":\"deploy\"},\"policies\":[\"default\"]}");
    }

    @AfterAll
    static void stopAll() {
        if (containerd != null) {
            containerd.close();
        }
        if (bao != null) {
            bao.close();
        }
    }

    @BeforeEach
    void startAgent() throws Exception {
        agent = startAgentProcess();
    }

    @AfterEach
    void stopAgent() throws Exception {
        if (agent != null && agent.isAlive()) {
            agent.destroy();
            agent.waitFor(20, TimeUnit.SECONDS);
        }
    }

    static Process startAgentProcess() throws IOException, InterruptedException {
        Files.deleteIfExists(dir.resolve("agent.log"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.cijwt.cli.Main", "agent",
                "--socket", socket.toString(), "--state-dir", stateDir.toString(), "--keys", keyFile.toString(),
                "--config", configFile.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            if (!p.isAlive()) {
                throw new AssertionError("agent exited " + p.exitValue() + ": " + log());
            }
            if (Files.exists(socket) && curl("GET", "/readyz", null).status() == 200) {
                return p;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("agent not ready in 60 s: " + log());
    }

    static String log() {
        try {
            return Files.readString(dir.resolve("agent.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    record Reply(int status, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    /** One request over the agent's socket with curl: real HTTP between processes. */
    static Reply curl(String method, String path, String body) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "30",
                "--unix-socket", socket.toString(), "-X", method));
        if (body != null) {
            cmd.addAll(List.of("-H", "Content-Type: application/json", "--data-binary", body));
        }
        cmd.add("http://agent" + path);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(40, TimeUnit.SECONDS);
        int nl = out.lastIndexOf('\n');
        int status = nl < 0 ? 0 : Integer.parseInt(out.substring(nl + 1).trim().isEmpty() ? "0" : out.substring(nl + 1).trim());
        return new Reply(status, nl < 0 ? out : out.substring(0, nl));
    }

    static String metadataJson() throws IOException {
        return JSON.readTree(TestKeys.metadata("main")).toString();
    }

    private static final String TASK = String.join("\n",
            "t=$(cat /var/run/secrets/concourse-ci/jwt)",
            "[ \"$t\" = \"$CONCOURSE_CI_JWT\" ] && echo same-token-in-file-and-env",
            "echo \"file=$CONCOURSE_CI_JWT_FILE\"",
            "if (echo x > /var/run/secrets/concourse-ci/jwt) 2>/dev/null; then echo write-allowed; else echo write-refused; fi",
            "printf '{\"role\":\"build\",\"jwt\":\"%s\"}' \"$t\" > /dev/shm/login.json",
            "if wget -q -O - --header 'Content-Type: application/json' --post-file /dev/shm/login.json "
                    + "\"$VAULT_ADDR/v1/auth/ci/login\" | grep -q client_token; then echo vault-login-ok; else echo vault-login-failed; fi",
            "echo \"token=$t\"");

    @Test
    void ctrRunWhenAnnotatedThenTheTaskReadsAVerifiedReadOnlyTokenLogsInToOpenBaoAndTheAgentCleansUpAfter() throws Exception {
        String id = "task-" + System.nanoTime();
        Containerd.Result r = containerd.run(id, wrapper, rootfs, Map.of("org.cijwt.metadata", metadataJson()),
                List.of("--net-host", "--read-only", "--env", "VAULT_ADDR=" + bao.address()), RUN_TIMEOUT, "/bin/sh", "-c", TASK);

        assertThat(r.exitCode()).as(r.output() + log()).isZero();
        assertThat(r.output()).contains("same-token-in-file-and-env").contains("file=/var/run/secrets/concourse-ci/jwt")
                .contains("write-refused").contains("vault-login-ok");
        String token = r.output().lines().filter(l -> l.startsWith("token=")).findFirst().orElseThrow().substring(6);
        Verification v = new TokenVerifier(() -> published, ISSUER, List.of(AUDIENCE), TokenVerifier.DEFAULT_LEEWAY,
                Clock.systemUTC()).verify(token);
        assertThat(v.active()).as(v.toString()).isTrue();
        SignedJWT jwt = SignedJWT.parse(token);
        assertThat(jwt.getJWTClaimsSet().getClaims()).containsEntry("team", "main").containsEntry("pipeline", "deploy")
                .containsEntry("job", "apply").containsEntry("buildid", "1234");

        awaitNoContainers();
        try (Stream<Path> left = Files.list(stateDir.resolve("tokens"))) {
            assertThat(left).isEmpty();
        }
        assertThat(log()).doesNotContain(token);
    }

    @Test
    void createWhenRequestIsBadThenOne4xxLineWithItsCodeAndNothingOnDisk() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bad-bundle"));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\","
                + "\"user\":{\"uid\":0,\"gid\":0}},\"root\":{\"path\":\"rootfs\"}}");
        String before = Files.readString(bundle.resolve("config.json"));
        String md = metadataJson();
        List<String[]> cases = List.of(
                new String[] {"{\"id\":\"a\",\"bundle\":\"" + bundle + "\",\"metadata\":" + md + ",\"ttl\":\"24h\"}", "400", "CJ509"},
                new String[] {"{\"id\":\"a\",\"bundle\":\"" + dir.resolve("agent.yml") + "\",\"metadata\":" + md + "}", "400", "CJ502"},
                new String[] {"{\"id\":\"a\",\"bundle\":\"" + bundle + "\",\"metadata\":{\"tema\":\"main\"}}", "400", "CJ101"},
                new String[] {"{\"id\":\"a\",\"bundle\":\"" + bundle + "\",\"metadata\":" + md + ",\"profile\":\"admin\"}", "400", "CJ508"});
        for (String[] c : cases) {
            Reply reply = curl("POST", "/v1/containers", c[0]);
            assertThat(reply.status()).as(c[0] + " -> " + reply.body()).isEqualTo(Integer.parseInt(c[1]));
            assertThat(reply.json().path("code").asText()).as(reply.body()).isEqualTo(c[2]);
            assertThat(reply.json().path("error").asText()).isNotBlank().doesNotContain("\n");
        }
        Reply ok = curl("POST", "/v1/containers", "{\"id\":\"b\",\"bundle\":\"" + bundle + "\",\"metadata\":" + md + "}");
        assertThat(ok.status()).as(ok.body()).isEqualTo(201);
        assertThat(ok.body()).doesNotContain("eyJ");
        assertThat(ok.json().at("/tokens/0/alg").asText()).isEqualTo("ES256");
        Reply again = curl("POST", "/v1/containers", "{\"id\":\"c\",\"bundle\":\"" + bundle + "\",\"metadata\":" + md + "}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().path("code").asText()).isEqualTo("CJ506");
        assertThat(curl("DELETE", "/v1/containers/b", null).status()).isEqualTo(204);
        assertThat(curl("DELETE", "/v1/containers/b", null).status()).isEqualTo(404);
        assertThat(JSON.readTree(Files.readString(bundle.resolve("config.json")))).isEqualTo(JSON.readTree(before));
    }

    @Test
    void agentWhenKilledAndStartedAgainThenItAdoptsTheLiveContainerAndAnotherContainersEndTouchesNothingOfIt() throws Exception {
        String id = "long-" + System.nanoTime();
        Thread task = runInBackground(id, "sleep 300");
        Path tokenFile = stateDir.resolve("tokens").resolve(id).resolve("jwt");
        awaitFile(tokenFile);
        // Killed before its 201 the agent would rightly undo the delivery on restart: wait until it answered.
        awaitListed(id);
        String first = Files.readString(tokenFile);

        agent.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        agent = startAgentProcess();

        JsonNode listed = curl("GET", "/v1/containers", null).json();
        assertThat(listed.path("containers").findValuesAsText("id")).as(log()).contains(id);
        String second = Files.readString(tokenFile);
        assertThat(second).isNotEqualTo(first);
        assertThat(new TokenVerifier(() -> published, ISSUER, List.of(AUDIENCE), TokenVerifier.DEFAULT_LEEWAY,
                Clock.systemUTC()).verify(second).active()).isTrue();

        String other = "short-" + System.nanoTime();
        Containerd.Result shortRun = containerd.run(other, wrapper, rootfs, Map.of("org.cijwt.metadata", metadataJson()),
                List.of("--read-only"), RUN_TIMEOUT, "/bin/sh", "-c", "test -r /var/run/secrets/concourse-ci/jwt");
        assertThat(shortRun.exitCode()).as(shortRun.output()).isZero();
        awaitNotListed(other);
        assertThat(stateDir.resolve("tokens").resolve(other)).doesNotExist();
        assertThat(Files.readString(tokenFile)).as("the other container's end left this one's token alone").isEqualTo(second);
        assertThat(curl("GET", "/v1/containers", null).json().path("containers").findValuesAsText("id")).contains(id);

        containerd.ctr(Duration.ofSeconds(30), "task", "kill", "-s", "SIGKILL", id);
        task.join(Duration.ofSeconds(60).toMillis());
        awaitNoContainers();
        assertThat(tokenFile.getParent()).doesNotExist();
    }

    private static Thread runInBackground(String id, String script) {
        Thread task = new Thread(() -> {
            try {
                containerd.run(id, wrapper, rootfs, Map.of("org.cijwt.metadata", metadataJson()), List.of("--read-only"),
                        Duration.ofMinutes(6), "/bin/sh", "-c", script);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        task.start();
        return task;
    }

    private static void awaitNotListed(String id) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            if (!curl("GET", "/v1/containers", null).json().path("containers").findValuesAsText("id").contains(id)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("container " + id + " still listed\n" + log());
    }

    private static void awaitFile(Path file) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(30);
        while (!Files.exists(file) && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertThat(file).as(log()).exists();
    }

    private static void awaitListed(String id) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            if (curl("GET", "/v1/containers", null).json().path("containers").findValuesAsText("id").contains(id)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("container " + id + " never listed\n" + log());
    }

    private static void awaitNoContainers() throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        JsonNode containers = null;
        while (Instant.now().isBefore(deadline)) {
            containers = curl("GET", "/v1/containers", null).json().path("containers");
            if (containers.isEmpty()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("containers still listed: " + containers + "\n" + log());
    }
}
