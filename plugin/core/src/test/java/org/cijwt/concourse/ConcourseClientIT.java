package org.cijwt.concourse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.launch.Concourse;
import org.cijwt.fixtures.launch.Runc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client against a real Concourse (web, worker on containerd, PostgreSQL), with a runc wrapper
 * in front of runc that logs each call and holds a container's {@code create} until the test has
 * asked Concourse about its handle: what the agent will do before it lets runc create a container.
 * Every expected value comes from {@code fly}, Concourse's own client, not from this one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConcourseClientIT {
    private static final Logger LOG = LoggerFactory.getLogger(ConcourseClientIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration FLY = Duration.ofSeconds(120);
    /** The scheduler may take a while to start a triggered job's build. */
    private static final Duration CREATE_WAIT = Duration.ofSeconds(90);
    private static final String PIPELINE = "app";
    private static final String JOB_REF = PIPELINE + "/branch:dev/deploy";

    private static Concourse concourse;
    private static Path work;
    private static Path runcLog;
    private static Path released;
    private static ConcourseSettings viewerSettings;
    private static ConcourseClient viewer;
    private static ConcourseClient otherViewer;
    private static final Set<String> handlesSeen = new HashSet<>();
    private static String pipelineHandle;
    private static String pipelineBuildId;

    @BeforeAll
    static void startConcourse() throws Exception {
        Assume.concourse();
        work = Files.createTempDirectory("ci-jwt-concourse-it-");
        runcLog = work.resolve("runc.log");
        released = Files.createDirectories(work.resolve("released"));
        Path runc = Files.createDirectories(work.resolve("wrapper/bin")).resolve("runc");
        Files.writeString(runc, String.join("\n",
                "#!/bin/sh",
                "# Logs runc's arguments; holds a create until the test releases its handle (20 s at most).",
                "echo \"$*\" >> " + runcLog,
                "case \" $* \" in *\" create \"*)",
                "  for handle; do :; done",
                "  i=0",
                "  while [ ! -e " + released + "/\"$handle\" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done ;;",
                "esac",
                "exec " + Runc.binary().orElseThrow() + " \"$@\"",
                ""), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(runc, PosixFilePermissions.fromString("rwxr-xr-x"));
        concourse = Concourse.builder().runcWrapperDir(work.resolve("wrapper")).start();

        viewerSettings = settings(concourse.viewer(), ConcourseSettings.DEFAULT_TIMEOUT);
        viewer = ConcourseClient.create(viewerSettings);
        otherViewer = ConcourseClient.create(settings(concourse.otherViewer(), ConcourseSettings.DEFAULT_TIMEOUT));

        Path pipeline = concourse.writeTaskPipeline(work.resolve("pipeline.yml"), "deploy", "plan",
                "sleep 2");
        fly(Concourse.MAIN_TEAM, "set-pipeline", "-n", "-p", PIPELINE, "-i", "branch=dev", "-c", pipeline.toString());
        fly(Concourse.MAIN_TEAM, "unpause-pipeline", "-p", PIPELINE + "/branch:dev");
    }

    @AfterAll
    static void stopConcourse() throws Exception {
        for (ConcourseClient c : new ConcourseClient[] {viewer, otherViewer}) {
            if (c != null) {
                c.close();
            }
        }
        if (concourse != null) {
            concourse.close();
        }
        if (work != null) {
            try (Stream<Path> files = Files.walk(work)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static ConcourseSettings settings(Concourse.User user, Duration timeout) throws Exception {
        Path password = user.writePasswordFile(work);
        return ConcourseSettings.of(concourse.url().toString(), user.name(), password, null, timeout);
    }

    private static String fly(String team, String... args) throws Exception {
        Concourse.FlyResult r = concourse.fly(team, FLY, args);
        assertThat(r.succeeded()).as("fly " + String.join(" ", args) + ": " + r + "\n" + concourse.log()).isTrue();
        return r.stdout();
    }

    /** The handle of the next container runc is asked to create (held until {@link #release}). */
    private static String awaitCreate() throws Exception {
        long deadline = System.nanoTime() + CREATE_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(runcLog)) {
                for (String line : Files.readAllLines(runcLog)) {
                    if ((" " + line + " ").contains(" create ")) {
                        String handle = line.substring(line.lastIndexOf(' ') + 1);
                        if (handlesSeen.add(handle)) {
                            return handle;
                        }
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("runc was not asked to create a container within " + CREATE_WAIT.toSeconds() + " s\n"
                + concourse.log());
    }

    private static void release(String handle) throws IOException {
        Files.createFile(released.resolve(handle));
    }

    /** What {@code fly containers} says of the container. */
    private static JsonNode flyContainer(String team, String handle) throws Exception {
        for (JsonNode c : JSON.readTree(fly(team, "containers", "--json"))) {
            if (c.path("id").asText().equals(handle)) {
                return c;
            }
        }
        throw new AssertionError("fly containers of team " + team + " has no " + handle);
    }

    /** What {@code fly builds} says of the build. */
    private static JsonNode flyBuild(String team, String buildId) throws Exception {
        for (JsonNode b : JSON.readTree(fly(team, "builds", "--json", "--count", "100"))) {
            if (b.path("id").asText().equals(buildId)) {
                return b;
            }
        }
        throw new AssertionError("fly builds of team " + team + " has no build " + buildId);
    }

    private static String flyTeamId(String team) throws Exception {
        for (JsonNode t : JSON.readTree(fly(Concourse.MAIN_TEAM, "teams", "--json"))) {
            if (t.path("name").asText().equals(team)) {
                return t.path("id").asText();
            }
        }
        throw new AssertionError("fly teams has no team " + team);
    }

    /** The claims the build's container should get, from fly's view of the container, its build and team. */
    private static BuildMetadata expectedFromFly(String team, String handle) throws Exception {
        JsonNode c = flyContainer(team, handle);
        String buildId = c.path("build_id").asText();
        JsonNode b = flyBuild(team, buildId);
        @SuppressWarnings("unchecked")
        Map<String, Object> vars = c.has("pipeline_instance_vars") ? JSON.convertValue(c.get("pipeline_instance_vars"), Map.class) : Map.of();
        return BuildMetadata.builder()
                .team(b.path("team_name").asText())
                .teamId(flyTeamId(b.path("team_name").asText()))
                .pipeline(c.has("pipeline_name") ? c.get("pipeline_name").asText() : null)
                .pipelineId(c.has("pipeline_id") ? c.get("pipeline_id").asText() : null)
                .instanceVars(vars)
                .job(c.has("job_name") ? c.get("job_name").asText() : null)
                .jobId(c.has("job_id") ? c.get("job_id").asText() : null)
                .buildId(buildId)
                .buildName(c.path("build_name").asText())
                .task(c.path("step_name").asText())
                .stepType(c.path("type").asText())
                .worker(c.path("worker_name").asText())
                .build();
    }

    @Test
    @Order(1)
    void pipelineTaskWhenRuncCreatesItsContainerThenTheHandleResolvesToItsBuildAsFlyReportsIt() throws Exception {
        fly(Concourse.MAIN_TEAM, "trigger-job", "-j", JOB_REF);
        String handle = awaitCreate();
        Identity identity;
        String stateAtCreate;
        Instant asked = Instant.now();
        try {
            identity = viewer.identify(handle);
            LOG.info("identify({}) while runc create waits: {} ms", handle, Duration.between(asked, Instant.now()).toMillis());
            stateAtCreate = flyContainer(Concourse.MAIN_TEAM, handle).path("state").asText();
        } finally {
            release(handle);
        }

        assertThat(stateAtCreate).isEqualTo("creating");
        assertThat(identity).isInstanceOf(Identity.Found.class);
        Identity.Found found = (Identity.Found) identity;
        assertThat(found.metadata()).isEqualTo(expectedFromFly(Concourse.MAIN_TEAM, handle));
        BuildMetadata m = found.metadata();
        assertThat(found.oneOff()).isFalse();
        assertThat(List.of(m.team(), m.teamId(), m.pipeline(), m.job(), m.task(), m.stepType(), m.worker()))
                .containsExactly("main", "1", PIPELINE, "deploy", "plan", "task", "local-worker");
        assertThat(m.instanceVars()).isEqualTo(Map.of("branch", "dev"));
        assertThat(List.of(m.pipelineId(), m.jobId(), m.buildId(), m.buildName())).allSatisfy(v -> assertThat(v).matches("[1-9][0-9]*"));
        pipelineHandle = handle;
        pipelineBuildId = m.buildId();
        assertThat(viewer.buildStatus(pipelineBuildId)).hasValueSatisfying(s -> assertThat(s.finished()).isFalse());
    }

    @Test
    @Order(2)
    void pipelineBuildWhenItEndsThenItsStatusIsFinishedAsFlyReportsIt() throws Exception {
        assertThat(pipelineBuildId).as("set by the first test").isNotNull();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        BuildStatus status = viewer.buildStatus(pipelineBuildId).orElseThrow();
        while (!status.finished() && System.nanoTime() < deadline) {
            Thread.sleep(250);
            status = viewer.buildStatus(pipelineBuildId).orElseThrow();
        }

        assertThat(status).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(status.finished()).isTrue();
        assertThat(status.wireName()).isEqualTo(flyBuild(Concourse.MAIN_TEAM, pipelineBuildId).path("status").asText());
        assertThat(viewer.buildStatus("999999")).as("a build nobody made").isEmpty();
    }

    @Test
    @Order(3)
    void oneOffWhenFlyExecuteRunsThenItsHandleResolvesWithoutPipelineOrJob() throws Exception {
        Path task = work.resolve("one-off.yml");
        Files.writeString(task, String.join("\n",
                "platform: linux",
                "rootfs_uri: raw://" + concourse.rootfs(),
                "run: {path: /bin/true}",
                ""), StandardCharsets.UTF_8);
        Process execute = concourse.flyInBackground(Concourse.MAIN_TEAM, work.resolve("one-off.out"),
                "execute", "-c", task.toString());
        String handle = awaitCreate();
        Identity identity;
        try {
            identity = viewer.identify(handle);
        } finally {
            release(handle);
        }
        assertThat(execute.waitFor(FLY.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(execute.exitValue()).as(Files.readString(work.resolve("one-off.out"))).isZero();

        assertThat(identity).isInstanceOf(Identity.Found.class);
        Identity.Found found = (Identity.Found) identity;
        assertThat(found.oneOff()).isTrue();
        assertThat(found.metadata()).isEqualTo(expectedFromFly(Concourse.MAIN_TEAM, handle));
        BuildMetadata m = found.metadata();
        assertThat(new Object[] {m.pipeline(), m.pipelineId(), m.job(), m.jobId()}).containsOnlyNulls();
        assertThat(m.instanceVars()).isEmpty();
        assertThat(List.of(m.team(), m.teamId(), m.task(), m.stepType())).containsExactly("main", "1", "one-off", "task");
    }

    @Test
    @Order(4)
    void madeUpHandleWhenIdentifiedThenNotFoundInTheTeamsTheUserSees() throws Exception {
        String handle = UUID.randomUUID().toString();

        Identity identity = viewer.identify(handle);

        assertThat(identity).isEqualTo(new Identity.NotFound(handle, concourse.url(), concourse.viewer().name(), List.of("main")));
    }

    @Test
    @Order(5)
    void otherTeamsContainerWhenIdentifiedThenNotFoundForMainsViewerAndFoundForItsOwn() throws Exception {
        Path task = work.resolve("other.yml");
        Files.writeString(task, String.join("\n",
                "platform: linux",
                "rootfs_uri: raw://" + concourse.rootfs(),
                "run: {path: /bin/true}",
                ""), StandardCharsets.UTF_8);
        Process execute = concourse.flyInBackground(Concourse.OTHER_TEAM, work.resolve("other.out"),
                "execute", "-c", task.toString());
        String handle = awaitCreate();
        Identity byMainViewer;
        Identity byOtherViewer;
        try {
            byMainViewer = viewer.identify(handle);
            byOtherViewer = otherViewer.identify(handle);
        } finally {
            release(handle);
        }
        assertThat(execute.waitFor(FLY.toSeconds(), TimeUnit.SECONDS)).isTrue();

        assertThat(byMainViewer).isEqualTo(new Identity.NotFound(handle, concourse.url(), concourse.viewer().name(),
                List.of("main")));
        assertThat(byOtherViewer).isInstanceOf(Identity.Found.class);
        BuildMetadata m = ((Identity.Found) byOtherViewer).metadata();
        assertThat(m).isEqualTo(expectedFromFly(Concourse.OTHER_TEAM, handle));
        assertThat(m.team()).isEqualTo("other");
        assertThat(m.teamId()).isEqualTo(flyTeamId("other")).isNotEqualTo("1");
    }

    @Test
    @Order(6)
    void tokenWhenThreeQuartersOfItsLifetimeHavePassedThenTheNextCallLogsInFirst() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        try (ConcourseClient client = ConcourseClient.create(viewerSettings, clock)) {
            String handle = UUID.randomUUID().toString();
            assertThat(client.identify(handle)).isInstanceOf(Identity.NotFound.class);
            assertThat(client.identify(handle)).isInstanceOf(Identity.NotFound.class);
            assertThat(client.logins()).isEqualTo(1);

            clock.advance(Duration.ofHours(18).minusSeconds(5)); // Concourse's tokens live 24 h
            client.forget(pipelineHandle);
            assertThat(client.identify(pipelineHandle)).isInstanceOf(Identity.Found.class);
            assertThat(client.logins()).isEqualTo(1);

            clock.advance(Duration.ofSeconds(10));
            client.forget(pipelineHandle);
            assertThat(client.identify(pipelineHandle)).isInstanceOf(Identity.Found.class);
            assertThat(client.logins()).isEqualTo(2);
        }
    }

    @Test
    @Order(7)
    void tokenWhenConcourseRevokedItThenOneNewLoginAndTheSameAnswers() throws Exception {
        try (ConcourseClient client = ConcourseClient.create(viewerSettings)) {
            Identity before = client.identify(pipelineHandle);
            assertThat(client.logins()).isEqualTo(1);

            revoke(client.currentTokenForTest().orElseThrow());
            client.forget(pipelineHandle);
            assertThat(client.identify(pipelineHandle)).isEqualTo(before);
            assertThat(client.logins()).isEqualTo(2);

            // Concourse answers a revoked token's build request with 404, not 401.
            revoke(client.currentTokenForTest().orElseThrow());
            assertThat(client.buildStatus(pipelineBuildId)).contains(BuildStatus.SUCCEEDED);
            assertThat(client.logins()).isEqualTo(3);
        }
    }

    /** What {@code /sky/logout} does with a session cookie: Concourse forgets the token. */
    private static void revoke(String token) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(concourse.url().resolve("/sky/logout"))
                .header("Cookie", "skymarshal_auth=bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        HttpResponse<String> teams = HttpClient.newHttpClient().send(HttpRequest.newBuilder(concourse.url().resolve("/api/v1/teams"))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(teams.statusCode()).as("the revoked token").isEqualTo(401);
    }

    @Test
    @Order(8)
    void loginWhenThePasswordIsWrongThenCj802NamesConcourseAndTheUserButNotThePassword() throws Exception {
        Path wrong = work.resolve("wrong-password");
        Files.writeString(wrong, "not-" + concourse.viewer().password());
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
        ConcourseSettings settings = ConcourseSettings.of(concourse.url().toString(), concourse.viewer().name(), wrong, null, null);

        try (ConcourseClient client = ConcourseClient.create(settings)) {
            assertThatThrownBy(client::login)
                    .isInstanceOf(CiJwtException.class)
                    .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.CONCOURSE_LOGIN_REFUSED))
                    .hasMessageStartingWith("Concourse at " + concourse.url() + " refused the login of user 'viewer' (HTTP 401")
                    .hasMessageEndingWith("check concourse_user and concourse_password_file " + wrong)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(concourse.viewer().password()));
        }
    }

    @Test
    @Order(9)
    void concourseWhenFrozenThenIdentifyFailsWithCj801WithinItsTimeout() throws Exception {
        try (ConcourseClient client = ConcourseClient.create(settings(concourse.viewer(), Duration.ofSeconds(2)))) {
            client.login();
            concourse.suspend();
            long start = System.nanoTime();
            try {
                assertThatThrownBy(() -> client.identify(UUID.randomUUID().toString()))
                        .isInstanceOf(CiJwtException.class)
                        .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.CONCOURSE_UNAVAILABLE))
                        .hasMessageStartingWith("Concourse at " + concourse.url() + " did not answer ")
                        .hasMessageEndingWith(" within 2 s");
            } finally {
                concourse.resume();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1900), Duration.ofMillis(3500));
        }
    }

    @Test
    @Order(10)
    void concourseWhenStoppedThenIdentifyFailsWithCj801AndWhatIsKnownStaysKnown() throws Exception {
        assertThat(viewer.identify(pipelineHandle)).isInstanceOf(Identity.Found.class);

        concourse.stop();
        long start = System.nanoTime();

        assertThatThrownBy(() -> viewer.identify(UUID.randomUUID().toString()))
                .isInstanceOf(CiJwtException.class)
                .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.CONCOURSE_UNAVAILABLE))
                .hasMessageStartingWith("Concourse at " + concourse.url() + " did not answer ")
                .hasMessageEndingWith(": connection refused")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(concourse.viewer().password()));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(viewerSettings.timeout());
        assertThat(viewer.identify(pipelineHandle)).as("a container already identified").isInstanceOf(Identity.Found.class);
        assertThat(viewer.buildStatus(pipelineBuildId)).as("a final status").contains(BuildStatus.SUCCEEDED);
    }
}
