package org.cijwt.web;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cijwt.concourse.ConcourseClient;
import org.cijwt.errors.CiJwtException;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.tokens.TokenVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running web endpoint: start it with {@link #start(Vertx, WebConfig, ReloadingKeyRing)}, stop
 * it with {@link #close()}, which drains requests in flight for up to the shutdown grace.
 */
public final class WebServer {
    private static final Logger LOG = LoggerFactory.getLogger(WebServer.class);

    private final Vertx vertx;
    private final WebConfig config;
    private final ReloadingKeyRing keys;
    private final WebMetrics metrics;
    private final WorkerExecutor workers;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean reloading = new AtomicBoolean();
    private final List<String> deployments = new ArrayList<>();
    private final Handlers handlers;
    private final ConcourseBuilds builds;
    private long reloadTimer = -1;
    private int port = -1;

    private WebServer(Vertx vertx, WebConfig config, ReloadingKeyRing keys, Clock clock, ConcourseBuilds builds) {
        this.vertx = vertx;
        this.builds = builds;
        this.config = config;
        this.keys = keys;
        this.metrics = new WebMetrics(keys);
        this.workers = vertx.createSharedWorkerExecutor("ci-jwt-verify-" + System.identityHashCode(this), config.verifyWorkers());
        TokenVerifier verifier = new TokenVerifier(keys, config.issuer(), config.audiences(), config.leeway(), clock,
                config.verifyCacheSize());
        metrics.verifyCache(verifier);
        this.handlers = new Handlers(verifier);
    }

    /** The shared, thread-safe handlers every event loop's router uses. */
    private final class Handlers {
        final PublishedDocuments documents = new PublishedDocuments(keys, config.issuer());
        final String cacheControl = "public, max-age=" + config.jwksMaxAge().toSeconds();
        final DiscoveryHandler discovery = new DiscoveryHandler(documents, cacheControl);
        final JwksHandler jwks = new JwksHandler(documents, cacheControl);
        final HealthHandlers health = new HealthHandlers(keys, draining::get);
        final IntrospectionHandler introspection;

        Handlers(TokenVerifier verifier) {
            introspection = new IntrospectionHandler(verifier, workers, metrics, config.introspectionReasons(), config.inlineEdDsa(),
                    builds);
        }
    }

    /**
     * Runs a {@code serve} process from its settings: resolves the key source, starts Vert.x and the
     * server, and returns once it listens. Bad TLS files or an address that cannot be bound fail
     * with a {@link CiJwtException} naming the setting.
     */
    public static WebProcess run(WebConfig config) throws CiJwtException {
        return WebProcess.start(config);
    }

    /** Starts with the system clock. */
    public static Future<WebServer> start(Vertx vertx, WebConfig config, ReloadingKeyRing keys) {
        return start(vertx, config, keys, Clock.systemUTC());
    }

    /**
     * Starts the server; the future completes once it listens, with {@link #port()} the bound port
     * (useful with port 0). The clock decides token expiry (tests inject a fixed one). With TLS
     * configured, a certificate or key that is unreadable, unparsable, not private (0600) or not a
     * pair fails the future with a {@link CiJwtException} naming the setting and the file.
     */
    public static Future<WebServer> start(Vertx vertx, WebConfig config, ReloadingKeyRing keys, Clock clock) {
        if (config.tls()) {
            try {
                TlsFiles.check(config.tlsCert(), config.tlsKey());
            } catch (CiJwtException e) {
                return Future.failedFuture(e);
            }
        }
        ConcourseBuilds builds = null;
        if (config.concourse() != null) {
            try {
                builds = new ConcourseBuilds(ConcourseClient.create(config.concourse()));
            } catch (CiJwtException e) {
                return Future.failedFuture(e);
            }
        }
        WebServer server = new WebServer(vertx, config, keys, clock, builds);
        return server.deploy().map(server).recover(e -> server.workers.close().transform(x -> Future.failedFuture(e)));
    }

    private Future<Void> deploy() {
        HttpServerOptions options = new HttpServerOptions().setIdleTimeout(60);
        if (config.tls()) {
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(config.tlsCert().toString()).setKeyPath(config.tlsKey().toString()));
        }
        // Every instance listens on one port, where Vert.x shares one listening socket among them. With
        // port 0 each instance would pick a port of its own, and the old way (the first on port 0,
        // the others on its real port) bound twice: "Address already in use" wherever there are two
        // CPUs. So port 0 is resolved to a free port first, and tried again should another process
        // take it in between.
        int listenPort;
        try {
            listenPort = config.port() == 0 ? freePort() : config.port();
        } catch (java.io.UncheckedIOException e) {
            return Future.failedFuture(e.getCause());
        }
        return deployOn(options, listenPort, config.port() == 0 ? 3 : 1).onSuccess(v -> startReloading());
    }

    private Future<Void> deployOn(HttpServerOptions options, int listenPort, int attempts) {
        return vertx.deployVerticle(() -> new WebVerticle(this::router, options, config.host(), listenPort, config.shutdownGrace()),
                new DeploymentOptions().setInstances(config.eventLoops())).<Void>map(id -> {
                    deployments.add(id);
                    port = listenPort;
                    return null;
                }).recover(e -> attempts > 1 ? deployOn(options, freePort(), attempts - 1) : Future.failedFuture(e));
    }

    /** A port the OS calls free on the listen address now (it binds and lets go of it). */
    private int freePort() {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(config.host()))) {
            return probe.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("no free port on " + config.host(), e);
        }
    }

    private void startReloading() {
        if (config.reloadInterval().isZero()) {
            return;
        }
        reloadTimer = vertx.setPeriodic(config.reloadInterval().toMillis(), id -> {
            // refresh() reads files: never on the event loop, and never two at once.
            if (reloading.compareAndSet(false, true)) {
                vertx.executeBlocking(keys::refresh, false).onComplete(ar -> {
                    reloading.set(false);
                    if (ar.failed()) {
                        LOG.error("key reload failed: {}", ar.cause().toString());
                    }
                });
            }
        });
    }

    private Router router(Vertx v) {
        Router router = Router.router(v);
        router.route().handler(metrics.timing());
        router.get(Endpoints.DISCOVERY).handler(handlers.discovery);
        router.get(Endpoints.JWKS).handler(handlers.jwks);
        // consumes() makes the router answer 415 for any other media type, before the body is read.
        router.post(Endpoints.INTROSPECT)
                .consumes(IntrospectionHandler.FORM)
                .consumes(Endpoints.JSON)
                .handler(new RequestBody(Endpoints.MAX_INTROSPECTION_BODY, Endpoints.BODY_DEADLINE))
                .handler(handlers.introspection);
        router.get(Endpoints.HEALTHZ).handler(handlers.health.healthz());
        router.get(Endpoints.READYZ).handler(handlers.health.readyz());
        router.get(Endpoints.METRICS).handler(metrics.scrapeHandler());
        for (int status : new int[] {400, 404, 405, 408, 413, 415, 500}) {
            router.errorHandler(status, WebServer::error);
        }
        return router;
    }

    /** Every error is a small JSON body; a 500 is logged with its type only, never the request. */
    private static void error(RoutingContext ctx) {
        int status = ctx.statusCode() < 400 ? 500 : ctx.statusCode();
        String error = switch (status) {
            case 400 -> "invalid_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 408 -> "request_timeout";
            case 413 -> "request_too_large";
            case 415 -> "unsupported_media_type";
            default -> "server_error";
        };
        if (status == 500 && ctx.failure() != null) {
            LOG.error("request to {} failed: {}", ctx.currentRoute() == null ? "?" : ctx.currentRoute().getPath(),
                    ctx.failure().getClass().getName());
        }
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, Endpoints.JSON)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(new JsonObject().put("error", error).toBuffer());
    }

    /** The bound port. */
    public int port() {
        return port;
    }

    public WebConfig config() {
        return config;
    }

    /** Where this server answers, e.g. {@code http://127.0.0.1:8080} (the listen address, not the issuer). */
    public URI baseUri() {
        String h = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return URI.create((config.tls() ? "https" : "http") + "://" + h + ":" + port);
    }

    /** The discovery document's URL on the listen address. */
    public URI discoveryUri() {
        return baseUri().resolve(Endpoints.DISCOVERY);
    }

    public WebMetrics metrics() {
        return metrics;
    }

    /** True once {@link #close()} began: readyz answers 503 from then on. */
    public boolean draining() {
        return draining.get();
    }

    /** Stops accepting, lets requests in flight finish (up to the shutdown grace), then releases the workers. */
    public Future<Void> close() {
        if (!draining.compareAndSet(false, true)) {
            return Future.succeededFuture();
        }
        if (reloadTimer >= 0) {
            vertx.cancelTimer(reloadTimer);
        }
        List<Future<Void>> undeploys = new ArrayList<>();
        for (String id : deployments) {
            undeploys.add(vertx.undeploy(id));
        }
        return Future.join(undeploys).transform(ar -> workers.close()).andThen(ar -> {
            if (builds != null) {
                builds.close();
            }
        });
    }
}
