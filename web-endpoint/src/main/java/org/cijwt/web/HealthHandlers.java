package org.cijwt.web;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.ReloadingKeyRing;

/**
 * {@code GET /healthz} (the process answers) and {@code GET /readyz} (it has keys and is not
 * draining). A ring whose last reload failed for some source is {@code degraded}: still 200, since
 * it serves that source's last good keys and taking every replica out of service over one broken
 * file would be worse, but the body names the failing file and {@code cijwt_keys_degraded} is 1.
 */
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
            List<String> errors = keys.reloadErrors();
            JsonObject body = new JsonObject()
                    .put("published_keys", ring.publishedKeys().size())
                    .put("signing_algorithms", ring.signingAlgorithms().stream().map(Enum::name).toList())
                    .put("crypto_provider", CryptoProvider.active().name());
            if (!errors.isEmpty()) {
                body.put("last_reload_error", keys.lastError()).put("reload_errors", new JsonArray(errors));
            }
            if (draining.getAsBoolean()) {
                send(ctx, 503, body.put("status", "draining"));
            } else if (ring.isEmpty()) {
                send(ctx, 503, body.put("status", "no_keys"));
            } else if (!errors.isEmpty()) {
                send(ctx, 200, body.put("status", "degraded"));
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
