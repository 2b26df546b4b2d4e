package org.cijwt.agent;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.PrivateDirectories;
import org.cijwt.io.SecureFiles;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.metrics.OperatorMetrics;

/**
 * A running worker agent process: the key ring and its reloads, the {@link Agent}, and its API on
 * the Unix socket. Made by {@link Agent#run(AgentSettings)}; closing it stops all of them, leaving
 * the token files for the containers, which a restarted agent adopts.
 */
public final class AgentProcess implements AutoCloseable {
    private static final long KEY_RELOAD_SECONDS = 2;
    private static final long STOP_SECONDS = 10;

    private final AgentSettings settings;
    private final Agent agent;
    private final Vertx vertx;
    private final HttpServer server;
    private final ScheduledExecutorService reloads;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final int warmedUp;

    private AgentProcess(AgentSettings settings, Agent agent, Vertx vertx, HttpServer server, ScheduledExecutorService reloads,
                         int warmedUp) {
        this.settings = settings;
        this.warmedUp = warmedUp;
        this.agent = agent;
        this.vertx = vertx;
        this.server = server;
        this.reloads = reloads;
    }

    static AgentProcess start(AgentSettings settings) throws CiJwtException {
        ReloadingKeyRing ring = ReloadingKeyRing.start(settings.keys(), Clock.systemUTC());
        ScheduledExecutorService reloads = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ci-jwt-key-reload");
            t.setDaemon(true);
            return t;
        });
        reloads.scheduleWithFixedDelay(ring::refresh, KEY_RELOAD_SECONDS, KEY_RELOAD_SECONDS, TimeUnit.SECONDS);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OperatorMetrics operator = OperatorMetrics.bind(registry, "agent", ring, Clock.systemUTC());
        Agent agent;
        try {
            // The socket's directory first: with the default layout it is also the state
            // directory's parent, which the agent would otherwise create 0700 (not the 0750 the
            // operator's group needs to connect).
            prepareSocket(settings.socket());
            agent = Agent.builder(ring, settings.config(), settings.stateDir()).registry(registry)
                    .verifier(settings.verifier()).identity(settings.identity()).tokenClient(settings.tokenClient()).start();
        } catch (CiJwtException e) {
            reloads.shutdown();
            throw e;
        }
        Vertx vertx = Vertx.vertx();
        int warmedUp = WarmUp.run(vertx, ring, settings.config(), settings.stateDir(), settings.warmUp());
        try {
            HttpServer server = new AgentApi(agent, agent.metrics(), registry, operator).listen(vertx, settings.socket())
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            Files.setPosixFilePermissions(settings.socket(), PosixFilePermissions.fromString("rw-rw----"));
            return new AgentProcess(settings, agent, vertx, server, reloads, warmedUp);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            vertx.close();
            agent.close();
            reloads.shutdown();
            throw new CiJwtException(ErrorCode.IO_FAILED, "agent socket " + settings.socket() + " cannot be served: " + e.getMessage());
        }
    }

    /** One line for the operator: where it serves, its state, what it adopted, its profiles. */
    public String describe() {
        return "serving on " + settings.socket() + " (state " + settings.stateDir() + ", " + agent.liveContainers()
                + " container(s) adopted, profiles " + String.join(", ", new TreeSet<>(settings.config().profiles().keySet()))
                + (warmedUp > 0 ? ", warmed up with " + warmedUp + " create/delete pairs" : "") + ")";
    }

    /** Blocks until the JVM is asked to stop (SIGTERM, SIGINT), then stops this process cleanly. */
    public void awaitShutdown() throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "ci-jwt-agent-stop"));
        closed.await();
    }

    @Override
    public void close() {
        if (closed.getCount() == 0) {
            return;
        }
        server.close().toCompletionStage().toCompletableFuture().orTimeout(STOP_SECONDS, TimeUnit.SECONDS)
                .exceptionally(t -> null).join();
        agent.close();
        vertx.close();
        reloads.shutdown();
        closed.countDown();
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
                throw new CiJwtException(ErrorCode.SETTING_INVALID, "setting socket: directory " + dir
                        + " is writable by group or others; chmod go-w it or choose another socket");
            }
            Optional<String> ancestor = PrivateDirectories.ancestorWritableByOthers(dir);
            if (ancestor.isPresent()) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, "setting socket: directory " + dir + " lies under "
                        + ancestor.get() + ", which others can write; choose another socket");
            }
            if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                if (!isSocket(socket)) {
                    throw new CiJwtException(ErrorCode.SETTING_INVALID, "setting socket: " + socket + " exists and is not a socket");
                }
                Files.delete(socket);
            }
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "agent socket directory " + dir + ": " + SecureFiles.reason(e));
        }
    }

    private static boolean isSocket(Path p) throws IOException {
        Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (((Integer) mode) & 0170000) == 0140000;
    }
}
