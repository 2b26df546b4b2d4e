package org.cijwt.web;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.metrics.OperatorMetrics;
import org.cijwt.tokens.Rejection;
import org.cijwt.tokens.TokenVerifier;

/**
 * The server's Prometheus metrics: requests by route and status with latency histograms,
 * introspection results by reason, the number of published keys, and whether the key ring is
 * degraded (a source failed to reload) with a count of failed reloads.
 */
public final class WebMetrics {
    static final String REQUESTS = "cijwt.http.server.requests";
    static final String INTROSPECTIONS = "cijwt.introspections";
    static final String VERIFY_CACHE = "cijwt.verify.cache.lookups";
    static final String PUBLISHED_KEYS = OperatorMetrics.PUBLISHED;
    static final String KEYS_DEGRADED = OperatorMetrics.DEGRADED;
    static final String KEY_RELOAD_FAILURES = OperatorMetrics.RELOAD_FAILURES;
    static final String CRYPTO_PROVIDER = OperatorMetrics.CRYPTO_PROVIDER;
    static final String ACTIVE = "active";

    private final PrometheusMeterRegistry registry;
    private final OperatorMetrics operator;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> results = new ConcurrentHashMap<>();

    public WebMetrics(ReloadingKeyRing keys) {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // JVM, process, build info, crypto provider and the key ring's state, as the agent has them.
        this.operator = OperatorMetrics.bind(registry, "serve", keys, Clock.systemUTC());
        counter(ACTIVE);
        for (Rejection r : Rejection.values()) {
            counter(r.wireName());
        }
    }

    /** Counts the verified-signature cache's hits and misses, read from {@code verifier} at each scrape. */
    void verifyCache(TokenVerifier verifier) {
        FunctionCounter.builder(VERIFY_CACHE, verifier, v -> v.cacheStats().hits())
                .description("Signature checks answered by the verified-signature cache (hit) or done (miss)")
                .tag("result", "hit").register(registry);
        FunctionCounter.builder(VERIFY_CACHE, verifier, v -> v.cacheStats().misses())
                .description("Signature checks answered by the verified-signature cache (hit) or done (miss)")
                .tag("result", "miss").register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** First handler of every request: times it and counts it by route template and status. */
    Handler<RoutingContext> timing() {
        return ctx -> {
            long start = System.nanoTime();
            ctx.addEndHandler(done -> {
                Route route = ctx.currentRoute();
                // Route templates only, never raw paths: a scanner must not create a series per URL.
                String path = route == null || route.getPath() == null ? "unmatched" : route.getPath();
                timer(path, ctx.response().getStatusCode()).record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            });
            ctx.next();
        };
    }

    void introspection(String result) {
        counter(result).increment();
    }

    Handler<RoutingContext> scrapeHandler() {
        return ctx -> ctx.vertx().executeBlocking(() -> {
            operator.beforeScrape();
            return registry.scrape();
        }, false).onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, OperatorMetrics.PROMETHEUS_CONTENT_TYPE).end(ar.result());
            } else {
                ctx.fail(ar.cause());
            }
        });
    }

    private Timer timer(String route, int status) {
        return timers.computeIfAbsent(route + ' ' + status, k -> Timer.builder(REQUESTS)
                .description("HTTP requests by route and status")
                .tag("route", route)
                .tag("status", Integer.toString(status))
                .publishPercentileHistogram()
                .register(registry));
    }

    private Counter counter(String result) {
        return results.computeIfAbsent(result, k -> Counter.builder(INTROSPECTIONS)
                .description("Introspection answers by result: active or the reason it is not")
                .tag("result", result)
                .register(registry));
    }
}
