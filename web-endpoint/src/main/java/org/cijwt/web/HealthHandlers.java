package org.cijwt.web;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BooleanSupplier;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.ReloadingKeyRing;

/** {@code GET /healthz} (the process answers) and {@code GET /readyz} (it has keys and is not draining). */
final class HealthHandlers {
    private final ReloadingKeyRing keys;
    private final BooleanSupplier draining;

    HealthHandlers(ReloadingKeyRing keys, BooleanSupplier draining) {
        this.keys = keys;
        this.draining = draining;
    }

    Handler<RoutingContext> healthz() {
        return ctx -> send(ctx, 200, new JsonObject().put("status", "up"));
    }

    Handler<RoutingContext> readyz() {
        return ctx -> {
            KeyRing ring = keys.get();
            JsonObject body = new JsonObject()
                    .put("published_keys", ring.publishedKeys().size())
                    .put("signing_algorithms", ring.signingAlgorithms().stream().map(Enum::name).toList())
                    .put("crypto_provider", CryptoProvider.active().name());
            if (keys.lastError() != null) {
                // Still ready: the last good ring is served, but operators should see why a reload failed.
                body.put("last_reload_error", keys.lastError());
            }
            if (draining.getAsBoolean()) {
                send(ctx, 503, body.put("status", "draining"));
            } else if (ring.isEmpty()) {
                send(ctx, 503, body.put("status", "no_keys"));
            } else {
                send(ctx, 200, body.put("status", "ready"));
            }
        };
    }

    private static void send(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, Endpoints.JSON)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(body.toBuffer());
    }
}
