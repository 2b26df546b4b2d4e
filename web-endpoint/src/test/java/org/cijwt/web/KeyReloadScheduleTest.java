package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.Predicate;
import org.cijwt.errors.CiJwtException;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.VerificationKeySource;
import org.junit.jupiter.api.Test;

/**
 * The server's own reload schedule (no test calls {@code refresh()} here): a key file that turns
 * malformed shows in {@code /readyz} as a CJ2xx error naming the file, and reloads go on, so a
 * good file afterwards is picked up.
 */
class KeyReloadScheduleTest extends ServerTestBase {
    private static final Duration POLL = Duration.ofMillis(100);
    private static final int ATTEMPTS = 100;

    private Path published;

    @Override
    KeySource keySource() throws CiJwtException {
        published = dir.resolve("published.jwks");
        TestKeys.write(published, KeySources.resolve(TestKeys.copyPrivate(TestKeys.ED25519, dir).toString(),
                KeySources.Options.defaults()).load().publicJwksJson(), "rw-r--r--");
        return new VerificationKeySource(published);
    }

    @Override
    WebConfig.Builder configure(WebConfig.Builder b) {
        return b.reloadInterval(Duration.ofMillis(100));
    }

    @Test
    void readyzWhenAKeyFileTurnsMalformedThenItNamesTheErrorAndTheScheduleKeepsReloading(Vertx vertx, VertxTestContext tc)
            throws Exception {
        String good = Files.readString(published);
        replace(KeyReloadTest.SMALL_ORDER_JWKS);
        readyzUntil(vertx, body -> body.containsKey("last_reload_error"), ATTEMPTS)
                .compose(body -> {
                    tc.verify(() -> {
                        assertThat(body.getString("status")).isEqualTo("degraded");
                        assertThat(body.getString("last_reload_error")).startsWith("CJ206").contains(published.toString());
                    });
                    try {
                        replace(good.replace("\"keys\":[", "\"keys\": ["));
                    } catch (Exception e) {
                        return Future.failedFuture(e);
                    }
                    return readyzUntil(vertx, b -> "ready".equals(b.getString("status")), ATTEMPTS);
                })
                .onComplete(tc.succeeding(body -> tc.verify(() -> {
                    assertThat(body.containsKey("last_reload_error")).isFalse();
                    assertThat(body.getInteger("published_keys")).isEqualTo(1);
                    tc.completeNow();
                })));
    }

    /** Swaps the file in one rename, as an operator's tooling or a Secret volume would. */
    private void replace(String content) throws Exception {
        Path next = dir.resolve("next.jwks");
        Files.writeString(next, content);
        Files.move(next, published, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Future<JsonObject> readyzUntil(Vertx vertx, Predicate<JsonObject> done, int attempts) {
        return client.get(port(), "127.0.0.1", Endpoints.READYZ).send().compose(res -> {
            JsonObject body = res.bodyAsJsonObject();
            if (done.test(body)) {
                return Future.succeededFuture(body);
            }
            if (attempts <= 1) {
                return Future.failedFuture(new AssertionError("readyz never got there; last answer: " + body));
            }
            Promise<JsonObject> later = Promise.promise();
            vertx.setTimer(POLL.toMillis(), t -> readyzUntil(vertx, done, attempts - 1).onComplete(later));
            return later.future();
        });
    }
}
