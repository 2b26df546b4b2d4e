package org.cijwt.web;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One HTTP server on one event loop; {@link WebServer} deploys several on the same port and
 * Vert.x spreads connections across them.
 */
final class WebVerticle extends VerticleBase {
    private final Function<io.vertx.core.Vertx, Router> routes;
    private final HttpServerOptions options;
    private final String host;
    private final int port;
    private final Duration grace;
    private volatile HttpServer server;

    WebVerticle(Function<io.vertx.core.Vertx, Router> routes, HttpServerOptions options, String host, int port, Duration grace) {
        this.routes = routes;
        this.options = options;
        this.host = host;
        this.port = port;
        this.grace = grace;
    }

    @Override
    public Future<?> start() {
        return vertx.createHttpServer(options)
                .requestHandler(routes.apply(vertx))
                .listen(port, host)
                .onSuccess(s -> server = s);
    }

    @Override
    public Future<?> stop() {
        HttpServer s = server;
        // shutdown stops accepting at once and lets requests in flight finish, up to the grace.
        return s == null ? Future.succeededFuture() : s.shutdown(grace.toMillis(), TimeUnit.MILLISECONDS);
    }
}
