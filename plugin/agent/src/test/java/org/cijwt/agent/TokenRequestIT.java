package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.ProjectPaths;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.BusyboxRootfs;
import org.cijwt.fixtures.launch.Containerd;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.PemKeySource;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Tokens on request (issue 19) with the real agent, a real containerd (its own root, state and
 * socket) whose runc is the runtime wrapper, busybox tasks, and the wrapper's {@code token}
 * subcommand as the client inside the container. Callers are real processes: in the container
 * (ctr task exec), on the host (curl), in a container ci-jwt does not manage, and in the
 * container's PID namespace but holding a connection its opener left behind (nsenter, perl).
 */
class TokenRequestIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ISSUER = "https://ci.example.test";
    private static final String GCP = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/ci-jwt";
    /** The client the agent links beside each token socket (--token-client): nothing in the task's image. */
    private static final String CLIENT = TokenClient.IN_CONTAINER;
    /** The wrapper binary's directory, mounted read-only at /home in the unmanaged container. */
    private static final String HOME_CLIENT = "/home/ci-jwt-runtime";
    private static final Pattern TOKEN = Pattern.compile("eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");

    @TempDir
    static Path dir;

    static Containerd containerd;
    static AgentProcess agent;
    static Path wrapper;
    static Path rootfs;
    static Path socket;
    static Path stateDir;
    static KeyRing jwks;
    static ListAppender<ILoggingEvent> logs;
    static final List<Thread> tasks = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Assume.containerd();
        wrapper = ProjectPaths.repoRoot().resolve("plugin/runtime/target/ci-jwt-runtime");
        assertThat(wrapper).as("the Go build of the wrapper (plugin/runtime's test phase)").isExecutable();
        rootfs = BusyboxRootfs.shared();
        socket = dir.resolve("run/agent.sock");
        stateDir = dir.resolve("state");
        // The JWKS a relying party fetches, made from the public key alone.
        String jwksJson = new JWKSet(JWK.parseFromPEMEncodedObjects(TestKeys.text(TestKeys.P256_PUBLIC))).toString();
        jwks = VerificationKeySource.fromJwks(jwksJson, "test JWKS");
        AgentConfig config = AgentConfig.parse(String.join("\n",
                "issuer: " + ISSUER,
                "profiles:",
                "  default:",
                "    tokens: [{name: jwt, audiences: [vault], ttl: 10m}]",
                "    on_request: {audiences: [sts.amazonaws.com, \"//iam.googleapis.com/projects/*\"], max_ttl: 15m, rate_per_minute: 600}",
                "  tight:",
                "    tokens: [{name: jwt, audiences: [vault], ttl: 10m}]",
                "    on_request: {audiences: [sts.amazonaws.com], max_ttl: 15m, rate_per_minute: 3}",
                "  none:",
                "    tokens: [{name: jwt, audiences: [vault], ttl: 10m}]",
                ""), "test agent config", null);
        logs = new ListAppender<>();
        logs.start();
        Logger cijwt = (Logger) LoggerFactory.getLogger("org.cijwt");
        cijwt.setLevel(ch.qos.logback.classic.Level.INFO);
        cijwt.addAppender(logs);
        agent = Agent.run(new AgentSettings(config, socket, stateDir,
                PemKeySource.file(TestKeys.copyPrivate(TestKeys.P256, dir)), null, new AnnotationIdentity(), 0, wrapper));
        containerd = Containerd.start(Files.createDirectories(dir.resolve("containerd")),
                Map.of("CI_JWT_AGENT_SOCKET", socket.toString()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (containerd != null) {
            for (String id : running()) {
                containerd.ctr(Duration.ofSeconds(20), "task", "kill", "-s", "KILL", id);
            }
            for (Thread t : tasks) {
                t.join(30_000);
            }
            containerd.close();
        }
        if (agent != null) {
            agent.close();
        }
        if (logs != null) {
            ((Logger) LoggerFactory.getLogger("org.cijwt")).detachAppender(logs);
        }
    }

    @Test
    void taskWhenItAsksForAnAllowedAudienceThenItGetsAVerifiedTokenWithItsBuildsClaimsAndTheLimitsRefuseTheRest() throws Exception {
        String id = startTask("allowed", "main", "1234", null);
        // The client is there without anything in the image: read-only, and not the task's to change.
        Containerd.Result client = exec(id, "stat -c '%a %u' " + CLIENT + "; cp /dev/null " + CLIENT + " 2>&1 || echo unchanged");
        assertThat(client.output()).as(client.output()).startsWith("555 ").contains("unchanged");

        Containerd.Result r = exec(id, CLIENT + " token --audience sts.amazonaws.com --lifetime 5m");
        assertThat(r.exitCode()).as(r.output()).isZero();
        String token = token(r.output());
        Verification v = new TokenVerifier(() -> jwks, ISSUER, List.of("sts.amazonaws.com"), TokenVerifier.DEFAULT_LEEWAY,
                Clock.systemUTC()).verify(token);
        assertThat(v.active()).as(v.toString()).isTrue();
        JsonNode claims = claims(token);
        JsonNode delivered = claims(Files.readString(stateDir.resolve("tokens").resolve(id).resolve("jwt")));
        for (String claim : List.of("iss", "sub", "team", "teamid", "pipeline", "pipelineid", "job", "jobid", "task", "buildid",
                "build_name", "instance_vars", "step_type", "worker")) {
            assertThat(claims.path(claim)).as(claim).isEqualTo(delivered.path(claim));
        }
        assertThat(claims.path("aud").asText()).isEqualTo("sts.amazonaws.com");
        assertThat(claims.path("jti").asText()).isNotEqualTo(delivered.path("jti").asText());
        assertThat(claims.path("exp").asLong() - claims.path("iat").asLong()).isEqualTo(300);

        // A pattern entry, and the AWS case: written atomically to the file AWS_WEB_IDENTITY_TOKEN_FILE names.
        Containerd.Result gcp = exec(id, CLIENT + " token --audience " + GCP + " --out /dev/shm/gcp && cat /dev/shm/gcp");
        assertThat(gcp.exitCode()).as(gcp.output()).isZero();
        assertThat(claims(token(gcp.output())).path("aud").asText()).isEqualTo(GCP);

        Containerd.Result other = exec(id, CLIENT + " token --audience https://evil.example");
        assertThat(other.exitCode()).isEqualTo(1);
        assertThat(other.output()).contains("CJ511 audience 'https://evil.example' is not allowed for container " + id)
                .doesNotContain("eyJ");
        Containerd.Result nested = exec(id, CLIENT + " token --audience //iam.googleapis.com/projects/");
        assertThat(nested.output()).as("'*' matches one character at least").contains("CJ511");
        Containerd.Result longer = exec(id, CLIENT + " token --audience sts.amazonaws.com --lifetime 2h");
        assertThat(longer.exitCode()).isEqualTo(1);
        assertThat(longer.output()).contains("CJ512 lifetime 2h is over 15m (on_request.max_ttl)").doesNotContain("eyJ");

        String metrics = agentGet("/metrics");
        assertThat(metrics).contains("cijwt_agent_requests_issued_total{audience=\"sts.amazonaws.com\"}")
                .contains("cijwt_agent_requests_issued_total{audience=\"//iam.googleapis.com/projects/*\"}")
                .contains("cijwt_agent_requests_refused_total{reason=\"audience\"}")
                .contains("cijwt_agent_requests_refused_total{reason=\"lifetime\"}");
        String jti = claims.path("jti").asText();
        List<String> issued = logLines().stream().filter(l -> l.contains("jti=" + jti)).toList();
        assertThat(issued).as("each issued token logged once").hasSize(1);
        assertThat(issued.get(0)).contains("container " + id).contains("kid=").contains("aud=[sts.amazonaws.com]")
                .contains("sub=main/deploy");
    }

    @Test
    void taskWhenItAsksInABurstOverItsRateThenTheRestAreRefusedWithTheReason() throws Exception {
        String id = startTask("burst", "main", "1234", "tight");

        Containerd.Result r = exec(id, "i=0; while [ $i -lt 5 ]; do " + CLIENT
                + " token --audience sts.amazonaws.com >/dev/null 2>/dev/shm/err && echo ok || cat /dev/shm/err; i=$((i+1)); done");

        assertThat(r.output().lines().filter("ok"::equals).count()).as(r.output()).isEqualTo(3);
        assertThat(r.output().lines().filter(l -> l.contains("CJ513 container " + id + " asked for more than 3 tokens a minute"))
                .count()).as(r.output()).isEqualTo(2);
        assertThat(agentGet("/metrics")).contains("cijwt_agent_requests_refused_total{reason=\"rate\"}");
    }

    @Test
    void hostProcessOrAProcessOfAnUnmanagedContainerWhenItReachesTheSocketThenItIsRefused() throws Exception {
        String id = startTask("victim", "main", "1234", null);
        Path victimSocket = stateDir.resolve("tokens").resolve(id).resolve(TokenSockets.SOCKET_NAME);

        // Root on the host, outside every container: the file is reachable, the caller is not the container's.
        Process curl = new ProcessBuilder("curl", "-s", "--max-time", "20", "--unix-socket", victimSocket.toString(),
                "-H", "Content-Type: application/json", "--data-binary", "{\"audience\":[\"sts.amazonaws.com\"]}",
                "http://ci-jwt/v1/tokens").redirectErrorStream(true).start();
        String answer = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(answer).contains("\"code\":\"CJ510\"").contains("is not a process of container " + id).doesNotContain("eyJ");

        // A container ci-jwt does not manage (no annotation), handed the victim's token directory.
        Containerd.Result stolen = containerd.run("unmanaged-" + System.nanoTime(), wrapper, rootfs, Map.of(),
                List.of("--read-only", "--mount", "type=bind,src=" + wrapper.getParent() + ",dst=/home,options=rbind:ro",
                        "--mount", "type=bind,src=" + victimSocket.getParent() + ",dst=/root,options=rbind:ro"),
                Duration.ofSeconds(60), "/bin/sh", "-c", HOME_CLIENT + " token --socket /root/token.sock --audience sts.amazonaws.com");
        assertThat(stolen.exitCode()).as(stolen.output()).isEqualTo(1);
        assertThat(stolen.output()).contains("CJ510").contains("is not a process of container " + id).doesNotContain("eyJ");
    }

    @Test
    void twoContainersWhenTheyAskAtOnceWhileForksRecyclePidsThenEachOnlyEverGetsItsOwnClaims() throws Exception {
        String a = startTask("left", "main", "1111", null);
        String b = startTask("right", "main", "2222", null);
        // Each asks 30 times at once, while each ask's subshell and 30 more short processes churn PIDs.
        String loop = "i=0; while [ $i -lt 30 ]; do (" + CLIENT + " token --audience sts.amazonaws.com > /dev/shm/t.$i 2>&1) &"
                + " j=0; while [ $j -lt 30 ]; do ( : ) & j=$((j+1)); done; i=$((i+1)); done; wait; cat /dev/shm/t.*";
        CompletableFuture<Containerd.Result> left = CompletableFuture.supplyAsync(() -> execUnchecked(a, loop));
        CompletableFuture<Containerd.Result> right = CompletableFuture.supplyAsync(() -> execUnchecked(b, loop));

        for (Map.Entry<String, Containerd.Result> run : Map.of("1111", left.get(3, TimeUnit.MINUTES), "2222",
                right.get(3, TimeUnit.MINUTES)).entrySet()) {
            List<String> tokens = new ArrayList<>();
            Matcher m = TOKEN.matcher(run.getValue().output());
            while (m.find()) {
                tokens.add(m.group());
            }
            assertThat(tokens).as(run.getValue().output()).hasSize(30);
            for (String t : tokens) {
                assertThat(claims(t).path("buildid").asText()).isEqualTo(run.getKey());
            }
        }
    }

    @Test
    void containerWhenItEndsThenAKeptOpenConnectionAndAConnectionWhoseOpenerIsGoneGetNothing() throws Exception {
        String id = startTask("ending", "main", "1234", null);
        Path tokenSocket = stateDir.resolve("tokens").resolve(id).resolve(TokenSockets.SOCKET_NAME);
        long init = initPid(id);

        // A process in the container's PID namespace opens a connection, asks once, waits, asks again on it.
        Process kept = inContainerPidNamespace(init, KEEP_OPEN, tokenSocket);
        BufferedReader out = new BufferedReader(new InputStreamReader(kept.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        assertThat(first).as("the first answer, from a process of the container").contains("\"token\":\"eyJ");

        // A process that opened a connection and exited: its child holds the connection, the opener's PID is free to reuse.
        Process orphan = inContainerPidNamespace(init, ORPHANED, tokenSocket);
        String orphaned = new String(orphan.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(orphan.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(orphaned).contains("\"code\":\"CJ510\"").contains("has gone").doesNotContain("eyJ");

        // The container's build ends while the container still runs (what the concourse source's build watch does).
        assertThat(agentRequest("DELETE", "/v1/containers/" + id)).startsWith("HTTP/1.1 204");
        assertThat(tokenSocket).doesNotExist();
        try (OutputStream in = kept.getOutputStream()) {
            in.write("again\n".getBytes(StandardCharsets.UTF_8));
        }
        String second = out.readLine();
        assertThat(kept.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(second).as("the second answer on the kept connection").isEqualTo("closed");
        assertThat(logLines()).anyMatch(l -> l.contains("container " + id + ": token socket closed (1 open connection(s) cut)"));

        // The token directory went whole, the client's link with it: nothing is left to ask with.
        assertThat(stateDir.resolve("tokens").resolve(id)).doesNotExist();
        Containerd.Result after = exec(id, CLIENT + " token --audience sts.amazonaws.com");
        assertThat(after.exitCode()).as(after.output()).isNotZero();
        assertThat(after.output()).doesNotContain("eyJ");
    }

    @Test
    void containerWhoseProfileAllowsNoRequestsWhenItStartsThenItHasNeitherSocketNorClient() throws Exception {
        String id = startTask("quiet", "main", "1234", "none");
        Containerd.Result ls = exec(id, "ls /var/run/secrets/concourse-ci/");
        assertThat(ls.exitCode()).as(ls.output()).isZero();
        assertThat(ls.output().lines().toList()).containsExactly("jwt");
    }

    @Test
    void noRequestCredentialExistsInTheTaskEnvironmentTheHostsEnvironsOrTheAgentsLog() throws Exception {
        String id = startTask("creds", "main", "1234", null);
        Containerd.Result env = exec(id, "env; echo requested:; " + CLIENT + " token --audience sts.amazonaws.com");
        // The token asked for: printed after the environment (which holds the delivered token, by design).
        String token = token(env.output().substring(env.output().indexOf("requested:")));
        assertThat(claims(token).path("aud").asText()).isEqualTo("sts.amazonaws.com");

        // The task's environment: the delivered token and its file, nothing that lets a process ask on its behalf.
        List<String> names = env.output().lines().filter(l -> l.matches("[A-Za-z_][A-Za-z0-9_]*=.*"))
                .map(l -> l.substring(0, l.indexOf('='))).toList();
        assertThat(names).contains("CONCOURSE_CI_JWT", "CONCOURSE_CI_JWT_FILE")
                .isSubsetOf("PATH", "HOSTNAME", "HOME", "PWD", "SHLVL", "TERM", "CONCOURSE_CI_JWT", "CONCOURSE_CI_JWT_FILE");
        // The agent takes nothing but audience and lifetime: a credential field is refused, not ignored.
        Process curl = new ProcessBuilder("nsenter", "--target", Long.toString(initPid(id)), "--pid", "--", "curl", "-s",
                "--max-time", "20", "--unix-socket", stateDir.resolve("tokens").resolve(id).resolve(TokenSockets.SOCKET_NAME)
                .toString(), "-H", "Authorization: Bearer x", "--data-binary", "{\"audience\":[\"sts.amazonaws.com\"],\"token\":\"x\"}",
                "http://ci-jwt/v1/tokens").redirectErrorStream(true).start();
        String refused = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(refused).contains("\"code\":\"CJ509\"").contains("unknown field 'token'");
        // No process on the host has the socket, a request token or the issued token in its environment.
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                String environ;
                try {
                    environ = new String(Files.readAllBytes(p.resolve("environ")), StandardCharsets.UTF_8);
                } catch (IOException gone) {
                    continue;
                }
                assertThat(environ).as(p.toString()).doesNotContain(TokenSockets.SOCKET_NAME).doesNotContain(token)
                        .doesNotContain("ID_TOKEN_REQUEST");
            }
        }
        assertThat(logLines()).noneMatch(l -> l.contains(token) || TOKEN.matcher(l).find());
    }

    // --- the callers ------------------------------------------------------------------------------------------

    /** Perl on the host, run in the container's PID namespace: one request, then another on the same connection after a line on stdin. */
    private static final String KEEP_OPEN = String.join("\n",
            "use IO::Socket::UNIX; $| = 1;",
            "my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die \"connect: $!\";",
            "sub ask { my $b = '{\"audience\":[\"sts.amazonaws.com\"]}';",
            "  print $s \"POST /v1/tokens HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: \" . length($b) . \"\\r\\n\\r\\n$b\";",
            "  my ($len, $line) = (0, ''); while (defined($line = <$s>)) { $len = $1 if $line =~ /^content-length: *(\\d+)/i; last if $line eq \"\\r\\n\"; }",
            "  return 'closed' unless defined $line; my $body = ''; read($s, $body, $len); return $body; }",
            "print ask(), \"\\n\"; <STDIN>; $SIG{PIPE} = 'IGNORE'; print ask(), \"\\n\";");

    /** The opener connects and exits; its child, once the opener is gone, asks on the inherited connection. */
    private static final String ORPHANED = String.join("\n",
            "use IO::Socket::UNIX; $| = 1;",
            "my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die \"connect: $!\";",
            "my $opener = $$; my $pid = fork(); if ($pid) { waitpid($pid, 0); exit 0; }",
            "if (fork()) { exit 0; }",
            "sleep 1 while kill(0, $opener);",
            "my $b = '{\"audience\":[\"sts.amazonaws.com\"]}';",
            "print $s \"POST /v1/tokens HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\nContent-Type: application/json\\r\\nContent-Length: \" . length($b) . \"\\r\\n\\r\\n$b\";",
            "local $/; print <$s>;");

    private static Process inContainerPidNamespace(long initPid, String script, Path tokenSocket) throws IOException {
        return new ProcessBuilder("nsenter", "--target", Long.toString(initPid), "--pid", "--", "/usr/bin/perl", "-e", script,
                tokenSocket.toString()).redirectErrorStream(true).start();
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    /** Starts a long task for a build of {@code team} with {@code buildid}, waits until the agent serves it, returns its id. */
    private static String startTask(String name, String team, String buildId, String profile) throws Exception {
        String id = name + "-" + System.nanoTime();
        ObjectNode md = (ObjectNode) JSON.readTree(TestKeys.metadata("main"));
        md.put("team", team).put("buildid", buildId);
        Map<String, String> annotations = profile == null ? Map.of("org.cijwt.metadata", md.toString())
                : Map.of("org.cijwt.metadata", md.toString(), "org.cijwt.profile", profile);
        CompletableFuture<String> ended = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                ended.complete(containerd.run(id, wrapper, rootfs, annotations, List.of("--read-only"), Duration.ofMinutes(10),
                        "/bin/sleep", "600").output());
            } catch (IOException | InterruptedException e) {
                ended.complete(e.toString());
                throw new IllegalStateException(e);
            }
        });
        t.start();
        tasks.add(t);
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            if (running().contains(id) && agentGet("/v1/containers").contains("\"id\":\"" + id + "\"")) {
                return id;
            }
            if (ended.isDone()) {
                throw new AssertionError("task " + id + " ended at once: " + ended.get() + "\nagent: " + logLines());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("task " + id + " did not start: " + logLines());
    }

    private static List<String> running() throws IOException, InterruptedException {
        return containerd.ctr(Duration.ofSeconds(20), "task", "ls").output().lines().skip(1)
                .filter(l -> l.contains("RUNNING")).map(l -> l.split("\\s+")[0]).toList();
    }

    private static long initPid(String id) throws IOException, InterruptedException {
        for (String line : containerd.ctr(Duration.ofSeconds(20), "task", "ls").output().lines().toList()) {
            String[] f = line.split("\\s+");
            if (f[0].equals(id)) {
                return Long.parseLong(f[1]);
            }
        }
        throw new AssertionError("no task " + id);
    }

    private static Containerd.Result exec(String id, String script) throws IOException, InterruptedException {
        return containerd.ctr(Duration.ofMinutes(3), "task", "exec", "--exec-id", "e" + System.nanoTime(), id, "/bin/sh", "-c", script);
    }

    private static Containerd.Result execUnchecked(String id, String script) {
        try {
            return exec(id, script);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String token(String output) {
        Matcher m = TOKEN.matcher(output);
        assertThat(m.find()).as(output).isTrue();
        return m.group();
    }

    private static JsonNode claims(String token) throws IOException {
        return JSON.readTree(Base64.getUrlDecoder().decode(token.trim().split("\\.")[1]));
    }

    private static List<String> logLines() {
        return List.copyOf(logs.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static String agentGet(String path) throws IOException, InterruptedException {
        return agentRequest("GET", path);
    }

    /** One request on the agent's API socket with curl; the answer with its status line and headers. */
    private static String agentRequest(String method, String path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("curl", "-s", "-i", "--max-time", "20", "--unix-socket", socket.toString(), "-X", method,
                "http://agent" + path).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
