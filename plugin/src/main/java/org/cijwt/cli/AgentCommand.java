package org.cijwt.cli;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.cijwt.agent.Agent;
import org.cijwt.agent.AgentApi;
import org.cijwt.agent.AgentConfig;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.delivery.RefreshScheduler;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.ExitCode;
import org.cijwt.io.PrivateDirectories;
import org.cijwt.io.SecureFiles;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.metrics.OperatorMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code ci-jwt agent}: the worker agent, one process per worker, serving its API on a Unix socket. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run the worker agent: deliver and refresh every container's tokens, serving HTTP/JSON on a Unix socket"
                + " (POST /v1/containers {id, bundle, metadata, profile?}, DELETE /v1/containers/{id}, GET /v1/containers,"
                + " /healthz, /readyz, /metrics). Token profiles are the operator's, in --config.",
                "The socket is created 0660 in a directory others cannot write; the state directory is 0700."})
public final class AgentCommand implements java.util.concurrent.Callable<Integer> {
    public static final String DEFAULT_SOCKET = "/run/ci-jwt/agent.sock";
    public static final String DEFAULT_STATE_DIR = "/run/ci-jwt/agent";
    private static final long KEY_RELOAD_SECONDS = 2;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Agent config (YAML/JSON): issuer, default_profile, profiles: NAME: {tokens: [...]} as in a pre-flight config."
                    + " Default: one profile 'default', the pre-flight defaults.")
    Path config;

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = DEFAULT_SOCKET, description = "Unix socket to serve on (default: ${DEFAULT-VALUE}).")
    Path socket;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = DEFAULT_STATE_DIR,
            description = "The agent's own records and token directories (default: ${DEFAULT-VALUE}); never read from a bundle.")
    Path stateDir;

    @Option(names = "--issuer", paramLabel = "URL", description = "The tokens' iss (default: the config's, else " + ClaimsPolicy.DEFAULT_ISSUER + ").")
    String issuer;

    @Mixin
    KeyOptions keys;

    @Mixin
    ConfigVerificationOptions verification;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        AgentConfig agentConfig = config == null ? AgentConfig.defaults(issuer == null ? ClaimsPolicy.DEFAULT_ISSUER : issuer)
                : AgentConfig.read(config, issuer);
        Set<SigningAlgorithm> algorithms = EnumSet.noneOf(SigningAlgorithm.class);
        agentConfig.profiles().values().forEach(p -> algorithms.addAll(p.algorithms()));
        ReloadingKeyRing ring = ReloadingKeyRing.start(keys.source(algorithms), Clock.systemUTC());
        ScheduledExecutorService reloads = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ci-jwt-key-reload");
            t.setDaemon(true);
            return t;
        });
        reloads.scheduleWithFixedDelay(ring::refresh, KEY_RELOAD_SECONDS, KEY_RELOAD_SECONDS, TimeUnit.SECONDS);

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OperatorMetrics operator = OperatorMetrics.bind(registry, "agent", ring, Clock.systemUTC());
        Agent agent = Agent.start(ring, Clock.systemUTC(), agentConfig, stateDir, RefreshScheduler.daemonThread(), registry,
                verification.verifier(agentConfig.verificationByTeam()));

        prepareSocket(socket);
        Vertx vertx = Vertx.vertx();
        HttpServer server;
        try {
            server = new AgentApi(agent, agent.metrics(), registry, operator).listen(vertx, socket)
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        } catch (Exception e) {
            vertx.close();
            agent.close();
            throw new CiJwtException(ErrorCode.IO_FAILED, "agent socket " + socket + " cannot be served: " + e.getMessage());
        }
        err.println("ci-jwt agent: serving on " + socket + " (state " + stateDir + ", " + agent.liveContainers()
                + " container(s) adopted, profiles " + String.join(", ", new java.util.TreeSet<>(agentConfig.profiles().keySet())) + ")");
        err.flush();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
            agent.close();
            vertx.close();
            reloads.shutdown();
            stopped.countDown();
        }, "ci-jwt-agent-stop"));
        stopped.await();
        return ExitCode.OK;
    }

    /** The socket's directory: created 0750 when missing, refused when others may write it; a stale socket is removed. */
    static void prepareSocket(Path socket) throws CiJwtException {
        Path dir = socket.toAbsolutePath().getParent();
        try {
            if (!Files.isDirectory(dir)) {
                PrivateDirectories.createParents(dir);
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
            }
            if (PrivateDirectories.isWritableByOthers(dir)) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, "agent socket directory " + dir
                        + " is writable by group or others; chmod go-w it or choose another --socket");
            }
            Optional<String> ancestor = PrivateDirectories.ancestorWritableByOthers(dir);
            if (ancestor.isPresent()) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, "agent socket directory " + dir + " lies under " + ancestor.get()
                        + ", which others can write; choose another --socket");
            }
            if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                if (!"s".equals(type(socket))) {
                    throw new CiJwtException(ErrorCode.SETTING_INVALID, "agent socket " + socket + " exists and is not a socket");
                }
                Files.delete(socket);
            }
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "agent socket directory " + dir + ": " + SecureFiles.reason(e));
        }
    }

    private static String type(Path p) throws IOException {
        Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (((Integer) mode) & 0170000) == 0140000 ? "s" : "other";
    }
}
