package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.cijwt.delivery.TokenProfile;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.Concourse;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.PemKeySource;
import org.cijwt.tokens.TokenVerifier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real Concourse build gets its token (issue 18): a real Concourse (PostgreSQL, web, worker on
 * containerd) with {@code ci-jwt-runtime} in front of runc under the {@code concourse} identity
 * source, and the agent asking the Concourse API, as its viewer user, which build each container
 * handle belongs to. The pipeline task reads the same token from {@code $CONCOURSE_CI_JWT} and the
 * file (its command is started by {@code runc exec}, in a user namespace), with the claims
 * Concourse gives for that build; once the build has ended the agent removes the token files. A
 * one-off build ({@code fly execute}), which has no pipeline, runs without a token; a container
 * Concourse does not know is refused and does not start, whatever its annotation says.
 */
class ConcourseDeliveryIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** serve's own address, so that OpenBao can fetch its discovery document: set once its port is chosen. */
    private static String issuer;
    private static final Pattern LINE = Pattern.compile("^(JWT|FILE|PATH_OF_FILE)=(.*)$", Pattern.MULTILINE);

    private static ConcourseUnderTest world;
    private static Path work;
    private static Path stateDir;
    private static Concourse concourse;
    private static AgentProcess agent;
    private static KeyRing published;
    private static org.cijwt.web.WebProcess serve;
    /** A real OpenBao whose JWT auth trusts serve by discovery, with a role bound to team main and pipeline deploy. */
    private static org.cijwt.fixtures.launch.OpenBaoServer bao;

    @BeforeAll
    static void startConcourseAndTheAgent() throws Exception {
        Assume.concourse();
        Assume.openBao();
        issuer = "http://127.0.0.1:" + org.cijwt.fixtures.launch.LoopbackPorts.free();
        world = ConcourseUnderTest.start("concourse-agent");
        work = world.work;
        concourse = world.concourse;
        stateDir = work.resolve("run/agent");
        Path socket = world.socket;

        Path key = TestKeys.copyPrivate(TestKeys.P256, Files.createDirectories(work.resolve("keys")));
        published = PemKeySource.file(key).load();
        IdentityConfig identity = world.identity;
        Path password = identity.concoursePasswordFile();
        // One-minute tokens, the shortest allowed: a task of two minutes lives through two refreshes.
        TokenProfile oneMinute = TokenProfile.parse("issuer: " + issuer + "\ntokens:\n- {name: jwt, audiences: ["
                + TokenProfile.DEFAULT_AUDIENCE + "], ttl: 1m}\n", "test profile");
        AgentConfig config = new AgentConfig(AgentConfig.DEFAULT_PROFILE, Map.of(AgentConfig.DEFAULT_PROFILE, oneMinute),
                Map.of(), identity);
        agent = Agent.run(new AgentSettings(config, socket, stateDir, PemKeySource.file(key), null, identity.open()));
        serve = org.cijwt.web.WebServer.run(org.cijwt.web.WebConfig.builder().listen("127.0.0.1", java.net.URI.create(issuer).getPort())
                .issuer(issuer)
                .keys(key.toString()).eventLoops(1).verifyWorkers(1).reloadInterval(Duration.ZERO)
                .concourseUrl(concourse.url().toString()).concourseUser(concourse.agentUser().name()).concoursePasswordFile(password)
                .build());
        bao = org.cijwt.fixtures.launch.OpenBaoServer.start();
        trustServeForMainDeploy(bao);
    }

    @AfterAll
    static void stopAll() throws Exception {
        if (bao != null) {
            bao.close();
        }
        if (serve != null) {
            serve.close();
        }
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
    void pipelineTaskWhenItRunsThenItReadsTheTokenOfItsBuildAndTheFilesGoWhenTheBuildEnds() throws Exception {
        Path pipeline = concourse.writeTaskPipeline(work.resolve("pipeline.yml"), "apply", "plan",
                "echo \"JWT=$CONCOURSE_CI_JWT\"; "
                + "echo \"FILE=$(cat \"$CONCOURSE_CI_JWT_FILE\")\"; "
                + "echo \"PATH_OF_FILE=$CONCOURSE_CI_JWT_FILE\"; sleep 6");
        fly("set-pipeline", "-n", "-p", "deploy", "-c", pipeline.toString());
        fly("unpause-pipeline", "-p", "deploy");

        Path log = work.resolve("trigger.out");
        Process trigger = concourse.flyInBackground(Concourse.MAIN_TEAM, log, "trigger-job", "-j", "deploy/apply", "-w");
        Path tokens = stateDir.resolve("tokens");
        try {
            // While the task runs (it sleeps at its end), its token is active for serve.
            String running = awaitToken(tokens, "apply");
            assertThat(introspect(running).path("active").asBoolean()).as("while the build runs").isTrue();
            assertThat(trigger.waitFor(3, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
        } finally {
            // A failed assertion must not leave fly waiting for the build.
            trigger.destroy();
        }
        String output = Files.readString(log);
        assertThat(trigger.exitValue()).as(output).isZero();

        Map<String, String> seen = new java.util.HashMap<>();
        Matcher m = LINE.matcher(output);
        while (m.find()) {
            seen.put(m.group(1), m.group(2).strip());
        }
        assertThat(seen.get("PATH_OF_FILE")).as(output).isEqualTo("/var/run/secrets/concourse-ci/jwt");
        assertThat(seen.get("JWT")).as(output).isNotBlank().isEqualTo(seen.get("FILE"));
        String token = seen.get("JWT");
        List<String> audiences = TokenProfile.defaults(issuer).tokens().get(0).policy().audiences();
        assertThat(new TokenVerifier(() -> published, issuer, audiences, TokenVerifier.DEFAULT_LEEWAY, Clock.systemUTC())
                .verify(token).active()).isTrue();

        JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
        assertThat(vaultSecret(token)).as("a secret read with the task's own token through a role bound to main/deploy")
                .isEqualTo("for-main-deploy");
        JsonNode build = JSON.readTree(fly("builds", "--json", "--count", "1")).get(0);
        assertThat(claims.path("team").asText()).isEqualTo("main");
        assertThat(claims.path("pipeline").asText()).isEqualTo("deploy");
        assertThat(claims.path("job").asText()).isEqualTo("apply");
        assertThat(claims.path("task").asText()).isEqualTo("plan");
        assertThat(claims.path("step_type").asText()).isEqualTo("task");
        assertThat(claims.path("buildid").asText()).isEqualTo(build.path("id").asText());
        assertThat(claims.path("build_name").asText()).isEqualTo(build.path("name").asText());
        assertThat(claims.path("teamid").asText()).isNotBlank();

        // The build has ended (trigger-job -w returned): within 15 s serve says so, and the agent drops the files
        // although Concourse keeps the container (other tests' builds have ended too, so none are left).
        Instant stated = Instant.now().plusSeconds(15);
        JsonNode answer = introspect(token);
        while (answer.path("active").asBoolean() && Instant.now().isBefore(stated)) {
            Thread.sleep(250);
            answer = introspect(token);
        }
        assertThat(answer.path("active").asBoolean()).as(answer.toString()).isFalse();
        assertThat(answer.path("reason").asText()).isEqualTo("build_finished");
        Instant deadline = Instant.now().plusSeconds(20);
        while (Instant.now().isBefore(deadline) && !emptyDir(tokens)) {
            Thread.sleep(250);
        }
        assertThat(emptyDir(tokens)).as("token directories left after the build ended").isTrue();
    }

    /**
     * A task longer than its token's lifetime reads a valid token from the file at its end: the
     * file was rewritten at least twice (refreshes come at 80 % of a lifetime, so a token issued 80 s
     * after the first is a second refresh's), while the variable keeps the first token.
     */
    @Test
    void longTaskWhenItOutlivesTwoTokensThenTheFileHoldsAFreshOneAndTheVariableTheFirst() throws Exception {
        Path pipeline = concourse.writeTaskPipeline(work.resolve("long.yml"), "soak", "wait",
                "echo \"FIRST=$CONCOURSE_CI_JWT\"; sleep 105; "
                + "echo \"LAST=$(cat \"$CONCOURSE_CI_JWT_FILE\")\"; "
                + "echo \"ENV=$CONCOURSE_CI_JWT\"");
        fly("set-pipeline", "-n", "-p", "long", "-c", pipeline.toString());
        fly("unpause-pipeline", "-p", "long");

        String output = fly("trigger-job", "-j", "long/soak", "-w");

        Map<String, String> seen = new java.util.HashMap<>();
        Matcher m = Pattern.compile("^(FIRST|LAST|ENV)=(\\S+)$", Pattern.MULTILINE).matcher(output);
        while (m.find()) {
            seen.put(m.group(1), m.group(2));
        }
        assertThat(seen).as(output).containsKeys("FIRST", "LAST", "ENV");
        assertThat(seen.get("ENV")).as("the variable keeps the first token").isEqualTo(seen.get("FIRST"));
        long first = JSON.readTree(Base64.getUrlDecoder().decode(seen.get("FIRST").split("\\.")[1])).path("iat").asLong();
        long last = JSON.readTree(Base64.getUrlDecoder().decode(seen.get("LAST").split("\\.")[1])).path("iat").asLong();
        assertThat(last - first).as("seconds between the first token and the one read at the end").isGreaterThanOrEqualTo(80);
        List<String> audiences = List.of(TokenProfile.DEFAULT_AUDIENCE);
        assertThat(new TokenVerifier(() -> published, issuer, audiences, TokenVerifier.DEFAULT_LEEWAY, Clock.systemUTC())
                .verify(seen.get("LAST")).active()).isTrue();
    }

    @Test
    void oneOffBuildWhenItRunsThenItGetsNoTokenAndStillRuns() throws Exception {
        Path task = work.resolve("one-off.yml");
        Files.writeString(task, String.join("\n",
                "platform: linux",
                "rootfs_uri: raw://" + concourse.rootfs(),
                "run: {path: /bin/sh, args: [-c, 'echo \"ONE_OFF_JWT=[${CONCOURSE_CI_JWT:-}]\"']}",
                ""), StandardCharsets.UTF_8);

        String output = fly("execute", "-c", task.toString());

        assertThat(output).contains("ONE_OFF_JWT=[]");
    }

    /**
     * A container Concourse never made, created in its containerd namespace behind its back (as a
     * workload with access to the socket could), is refused by the agent and does not start, with
     * an annotation claiming team main ignored.
     */
    @Test
    void containerConcourseDoesNotKnowWhenCreatedThenRefusedAndNotStarted() throws Exception {
        String handle = "not-a-concourse-handle-" + System.nanoTime();
        ProcessBuilder ctr = new ProcessBuilder("ctr", "--address", "/run/containerd/containerd.sock", "--namespace", "concourse",
                "run", "--rm", "--rootfs", "--annotation", "org.cijwt.metadata={\"team\":\"main\",\"buildid\":\"1\"}",
                org.cijwt.fixtures.launch.BusyboxRootfs.shared().toString(), handle, "/bin/true")
                .redirectErrorStream(true);
        Process p = ctr.start();
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(p.exitValue()).as(out).isNotZero();
        assertThat(out).contains("agent refused container " + handle).contains("CJ804");
        assertThat(stateDir.resolve("tokens").resolve(handle)).doesNotExist();
    }

    /**
     * Makes {@code bao}'s JWT auth trust serve by OIDC discovery, with a role {@code deploy} bound to
     * team main and pipeline deploy that may read that pipeline's secret, as a Vault admin would.
     */
    private static void trustServeForMainDeploy(org.cijwt.fixtures.launch.OpenBaoServer bao) throws Exception {
        org.cijwt.fixtures.launch.OpenBaoAdmin admin = new org.cijwt.fixtures.launch.OpenBaoAdmin(bao.address(), bao.rootToken());
        String audience = TokenProfile.defaults(issuer).tokens().get(0).policy().audiences().get(0);
        admin.enableJwtAuth("concourse");
        admin.trustIssuerByDiscovery("concourse", issuer);
        admin.mountKv("concourse", 2);
        admin.writePolicy("main-deploy", org.cijwt.fixtures.launch.OpenBaoAdmin.teamPipelinePolicy("concourse", "main", "deploy"));
        admin.writeRole("concourse", new org.cijwt.fixtures.launch.OpenBaoAdmin.JwtRole("deploy", audience,
                Map.of("team", "main", "pipeline", "deploy"), List.of("main-deploy"), Duration.ofMinutes(5)));
        admin.writeSecret("concourse", 2, "main/deploy/db", Map.of("password", "for-main-deploy"));
    }

    /** OpenBao's answer to a login with {@code jwt} at the role bound to main/deploy. */
    private static java.net.http.HttpResponse<String> vaultLogin(String jwt) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                bao.address().resolve("/v1/auth/concourse/login"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("role", "deploy")
                        .put("jwt", jwt).toString())).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** Logs in with {@code jwt} at the main/deploy role and reads the pipeline's secret with the Vault token it gets. */
    private static String vaultSecret(String jwt) throws Exception {
        java.net.http.HttpResponse<String> login = vaultLogin(jwt);
        assertThat(login.statusCode()).as("login refused: " + login.body()).isEqualTo(200);
        String vaultToken = JSON.readTree(login.body()).at("/auth/client_token").asText();
        java.net.http.HttpResponse<String> secret = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                bao.address().resolve("/v1/concourse/data/main/deploy/db")).header("X-Vault-Token", vaultToken).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(secret.statusCode()).as(secret.body()).isEqualTo(200);
        return JSON.readTree(secret.body()).at("/data/data/password").asText();
    }

    /**
     * While Concourse does not answer, a new container of its namespace is refused with one line
     * naming Concourse (fail closed: the wrapper cannot tell a task's container from another then).
     */
    @Test
    void containerWhenConcourseDoesNotAnswerThenRefusedNamingConcourse() throws Exception {
        String handle = "while-concourse-is-down-" + System.nanoTime();
        concourse.suspend();
        String out;
        int exit;
        try {
            Process p = new ProcessBuilder("ctr", "--address", "/run/containerd/containerd.sock", "--namespace", "concourse",
                    "run", "--rm", "--rootfs", org.cijwt.fixtures.launch.BusyboxRootfs.shared().toString(), handle, "/bin/true")
                    .redirectErrorStream(true).start();
            assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            exit = p.exitValue();
        } finally {
            concourse.resume();
        }
        assertThat(exit).as(out).isNotZero();
        assertThat(out).contains("agent refused container " + handle).contains("CJ801").contains(concourse.url().toString());
        assertThat(stateDir.resolve("tokens").resolve(handle)).doesNotExist();
    }

    /**
     * A task of team other's pipeline, named like main's, gets a token naming its own team (the
     * agent's user views both teams), and the Vault role bound to main/deploy refuses it.
     */
    @Test
    void otherTeamsTaskWhenItRunsThenItsTokenNamesItsTeamAndMainsRoleRefusesIt() throws Exception {
        Path pipeline = concourse.writeTaskPipeline(work.resolve("other.yml"), "apply", "plan",
                "echo \"JWT=$CONCOURSE_CI_JWT\"");
        flyAs(Concourse.OTHER_TEAM, "set-pipeline", "-n", "-p", "deploy", "-c", pipeline.toString());
        flyAs(Concourse.OTHER_TEAM, "unpause-pipeline", "-p", "deploy");

        String output = flyAs(Concourse.OTHER_TEAM, "trigger-job", "-j", "deploy/apply", "-w");

        Matcher m = Pattern.compile("^JWT=(\\S+)$", Pattern.MULTILINE).matcher(output);
        assertThat(m.find()).as(output).isTrue();
        String token = m.group(1);
        assertThat(verifier().verify(token).active()).isTrue();
        JsonNode claims = claimsOf(token);
        Map<String, String> teamIds = new java.util.HashMap<>();
        JSON.readTree(fly("teams", "--json")).forEach(t -> teamIds.put(t.path("name").asText(), t.path("id").asText()));
        assertThat(claims.path("team").asText()).isEqualTo(Concourse.OTHER_TEAM);
        assertThat(claims.path("teamid").asText()).isEqualTo(teamIds.get(Concourse.OTHER_TEAM))
                .isNotEqualTo(teamIds.get(Concourse.MAIN_TEAM));
        assertThat(claims.path("pipeline").asText()).isEqualTo("deploy");

        java.net.http.HttpResponse<String> login = vaultLogin(token);
        assertThat(login.statusCode()).as(login.body()).isEqualTo(400);
        assertThat(login.body()).contains("claim \\\"team\\\" does not match");
    }

    /**
     * A second build that is aborted while its task runs: within 15 s introspection calls its
     * token inactive with the reason {@code build_finished}, and its token files go.
     */
    @Test
    void buildWhenAbortedThenItsTokenIsInactiveWithTheReasonAndItsFilesGo() throws Exception {
        Path pipeline = concourse.writeTaskPipeline(work.resolve("hold.yml"), "wait", "sleep",
                "sleep 300");
        fly("set-pipeline", "-n", "-p", "hold", "-c", pipeline.toString());
        fly("unpause-pipeline", "-p", "hold");
        // A first run that ends by itself would be the other tests' case: abort one, then the second.
        for (int run = 1; run <= 2; run++) {
            fly("trigger-job", "-j", "hold/wait");
            String token = awaitToken(stateDir.resolve("tokens"), "wait");
            assertThat(introspect(token).path("active").asBoolean()).as("run " + run + " while it runs").isTrue();
            String buildName = claimsOf(token).path("build_name").asText();

            fly("abort-build", "-j", "hold/wait", "-b", buildName);

            Instant stated = Instant.now().plusSeconds(15);
            JsonNode answer = introspect(token);
            while (answer.path("active").asBoolean() && Instant.now().isBefore(stated)) {
                Thread.sleep(250);
                answer = introspect(token);
            }
            assertThat(answer.path("active").asBoolean()).as("run " + run + ": " + answer).isFalse();
            assertThat(answer.path("reason").asText()).isEqualTo("build_finished");
            awaitNoTokenOf("wait");
        }
    }

    /**
     * Concourse stops answering while a task runs: the agent keeps refreshing the task's token (it
     * needs Concourse only to learn a container's build and whether the build ended), the task
     * reads a fresh token at its end, and once Concourse answers again and the build has ended,
     * nothing of it is left.
     */
    @Test
    void runningTaskWhenConcourseStopsAnsweringThenItsTokenIsStillRefreshedAndNothingIsLeftAfter() throws Exception {
        Path pipeline = concourse.writeTaskPipeline(work.resolve("outage.yml"), "ride", "wait",
                "sleep 70; echo \"LAST=$(cat \"$CONCOURSE_CI_JWT_FILE\")\"");
        fly("set-pipeline", "-n", "-p", "outage", "-c", pipeline.toString());
        fly("unpause-pipeline", "-p", "outage");
        fly("trigger-job", "-j", "outage/ride");
        Path tokens = stateDir.resolve("tokens");
        String first = awaitToken(tokens, "ride");
        Path file = tokenFileHolding(tokens, first).orElseThrow();

        String refreshed;
        concourse.suspend();
        try {
            // Refreshes come at 80 % of the one-minute lifetime.
            Instant deadline = Instant.now().plusSeconds(75);
            refreshed = tokenOf(file).orElse(first);
            while (refreshed.equals(first) && Instant.now().isBefore(deadline)) {
                Thread.sleep(500);
                refreshed = tokenOf(file).orElseThrow(() -> new AssertionError("token file removed while Concourse was down"));
            }
        } finally {
            concourse.resume();
        }
        assertThat(refreshed).as("the token file was refreshed while Concourse did not answer").isNotEqualTo(first);
        assertThat(verifier().verify(refreshed).active()).isTrue();

        String output = fly("watch", "-j", "outage/ride");
        Matcher m = Pattern.compile("^LAST=(\\S+)$", Pattern.MULTILINE).matcher(output);
        assertThat(m.find()).as(output).isTrue();
        assertThat(verifier().verify(m.group(1)).active()).as("the token the task read at its end").isTrue();
        awaitNoTokenOf("ride");
    }

    /** Waits up to 20 s until no token directory holds a token of {@code job}; fails naming what is left. */
    private static void awaitNoTokenOf(String job) throws Exception {
        Path tokens = stateDir.resolve("tokens");
        Instant deadline = Instant.now().plusSeconds(20);
        List<Path> left = tokenDirsOf(tokens, job);
        while (!left.isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(250);
            left = tokenDirsOf(tokens, job);
        }
        assertThat(left).as("token directories of job " + job + " left after its build ended").isEmpty();
    }

    private static List<Path> tokenDirsOf(Path tokens, String job) throws Exception {
        List<Path> found = new java.util.ArrayList<>();
        try (Stream<Path> dirs = Files.list(tokens)) {
            for (Path d : dirs.toList()) {
                Optional<String> token = tokenOf(d.resolve("jwt"));
                if (token.isPresent() && job.equals(claimsOf(token.get()).path("job").asText())) {
                    found.add(d);
                }
            }
        }
        return found;
    }

    private static Optional<Path> tokenFileHolding(Path tokens, String token) throws Exception {
        try (Stream<Path> dirs = Files.list(tokens)) {
            for (Path d : dirs.toList()) {
                if (tokenOf(d.resolve("jwt")).filter(token::equals).isPresent()) {
                    return Optional.of(d.resolve("jwt"));
                }
            }
        }
        return Optional.empty();
    }

    private static JsonNode claimsOf(String token) throws java.io.IOException {
        return JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    }

    private static TokenVerifier verifier() {
        return new TokenVerifier(() -> published, issuer, List.of(TokenProfile.DEFAULT_AUDIENCE), TokenVerifier.DEFAULT_LEEWAY,
                Clock.systemUTC());
    }

    /** The token the agent writes under {@code tokens} for a container of {@code job}, within a minute. */
    private static String awaitToken(Path tokens, String job) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            try (Stream<Path> dirs = Files.list(tokens)) {
                for (Path d : dirs.toList()) {
                    Optional<String> token = tokenOf(d.resolve("jwt"));
                    // Another test's build may still have its files here for a few seconds after it ended.
                    if (token.isPresent() && job.equals(JSON.readTree(Base64.getUrlDecoder()
                            .decode(token.get().split("\\.")[1])).path("job").asText())) {
                        return token.get();
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no token was delivered to a container of job " + job + " within a minute");
    }

    /** The token in {@code jwt}, or empty when there is none, or the agent removed it while it was read. */
    private static Optional<String> tokenOf(Path jwt) throws java.io.IOException {
        try {
            return Files.isRegularFile(jwt) ? Optional.of(Files.readString(jwt).strip()) : Optional.empty();
        } catch (java.nio.file.NoSuchFileException gone) {
            return Optional.empty();
        }
    }

    private static JsonNode introspect(String token) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                serve.server().baseUri().resolve("/api/v1/tokens/introspect"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("token=" + token + "&audience="
                        + TokenProfile.defaults(issuer).tokens().get(0).policy().audiences().get(0))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static boolean emptyDir(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static String fly(String... args) throws Exception {
        return flyAs(Concourse.MAIN_TEAM, args);
    }

    private static String flyAs(String team, String... args) throws Exception {
        return world.fly(team, args);
    }
}
