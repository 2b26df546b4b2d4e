package org.cijwt.web;

import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.ReloadingKeyRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running {@code serve} process: its own Vert.x, the key ring its settings name, and the
 * {@link WebServer}. Made by {@link WebServer#run(WebConfig)}; closing it drains requests in flight
 * (up to {@code shutdown_grace}) and stops Vert.x.
 */
public final class WebProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebProcess.class);
    private static final long START_SECONDS = 30;
    private static final long STOP_MARGIN_MILLIS = 5_000;

    private final Vertx vertx;
    private final ReloadingKeyRing ring;
    private final WebServer server;
    private final CountDownLatch closed = new CountDownLatch(1);

    private WebProcess(Vertx vertx, ReloadingKeyRing ring, WebServer server) {
        this.vertx = vertx;
        this.ring = ring;
        this.server = server;
    }

    static WebProcess start(WebConfig cfg) throws CiJwtException {
        ReloadingKeyRing ring = ReloadingKeyRing.start(KeySources.resolve(cfg.keys(), KeySources.Options.defaults()
                .withKeyId(cfg.keyId()).withVerificationKeys(cfg.verificationKeys()).withRotation(cfg.rotation())), Clock.systemUTC());
        Vertx vertx = Vertx.vertx();
        try {
            WebServer server = WebServer.start(vertx, cfg, ring).toCompletionStage().toCompletableFuture()
                    .get(START_SECONDS, TimeUnit.SECONDS);
            return new WebProcess(vertx, ring, server);
        } catch (ExecutionException | TimeoutException e) {
            vertx.close();
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof CiJwtException invalid) {
                throw invalid;
            }
            throw new CiJwtException(ErrorCode.SETTING_INVALID, "setting listen: cannot listen on " + cfg.host() + ":" + cfg.port()
                    + ": " + cause.getMessage());
        } catch (InterruptedException e) {
            vertx.close();
            Thread.currentThread().interrupt();
            throw new CiJwtException(ErrorCode.IO_FAILED, "interrupted while starting to listen on " + cfg.host() + ":" + cfg.port());
        }
    }

    public WebServer server() {
        return server;
    }

    /** One line for the operator: where it serves, the issuer, the keys it publishes and signs with. */
    public String describe() {
        return "serving " + server.baseUri() + " (issuer " + server.config().issuer() + ", "
                + ring.get().publishedKeys().size() + " published key(s), signing with " + ring.get().signingAlgorithms() + ")";
    }

    /** Blocks until the JVM is asked to stop (SIGTERM, SIGINT), then drains and stops. */
    public void awaitShutdown() throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "ci-jwt-shutdown"));
        closed.await();
    }

    @Override
    public void close() {
        if (closed.getCount() == 0) {
            return;
        }
        try {
            server.close().eventually(vertx::close).toCompletionStage().toCompletableFuture()
                    .get(server.config().shutdownGrace().toMillis() + STOP_MARGIN_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("shutdown did not finish cleanly: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closed.countDown();
        }
    }
}
