package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.testkit.TestKeyRings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link WebServer#close()} with a request in flight: the introspection request is held inside
 * token verification (the verifier reads the injected clock) until the server has stopped
 * accepting connections, then released; it must still get its full answer.
 */
@ExtendWith(VertxExtension.class)
class GracefulShutdownTest {
    private static final String ISSUER = "https://ci.example.test";
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final long BOUND_SECONDS = 5;

    /**
     * A fixed clock that, once armed, holds the first caller until released. Only the verifier
     * reads the server's clock, and it runs on the verification worker pool, so holding it never
     * blocks an event loop.
     */
    static final class GateClock extends Clock {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile boolean armed;
        volatile boolean releasedInTime = true;

        @Override
        public Instant instant() {
            if (armed) {
                entered.countDown();
                try {
                    releasedInTime = release.await(BOUND_SECONDS, TimeUnit.SECONDS) && releasedInTime;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    releasedInTime = false;
                }
            }
            return NOW;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    @Test
    @Timeout(value = 15, timeUnit = TimeUnit.SECONDS)
    void closeWhenIntrospectionIsInFlightThenItCompletesAndNewConnectionsAreRefused(Vertx vertx, VertxTestContext tc)
            throws Exception {
        GateClock clock = new GateClock();
        ReloadingKeyRing keys = ReloadingKeyRing.start(TestKeyRings.source(), Clock.fixed(NOW, ZoneOffset.UTC));
        String token = ServerTestBase.mint(keys.get(), clock, ISSUER, "vault", SigningAlgorithm.EdDSA).compact();
        WebConfig config = WebConfig.builder().listen("127.0.0.1", 0).issuer(ISSUER).audiences(List.of("vault")).eventLoops(1).verifyWorkers(1)
                .verifyCacheSize(0).reloadInterval(Duration.ZERO).shutdownGrace(Duration.ofSeconds(BOUND_SECONDS)).build();
        WebClient client = WebClient.create(vertx);
        NetClient probe = vertx.createNetClient();
        Promise<Void> closed = Promise.promise();

        WebServer.start(vertx, config, keys, clock).compose(server -> {
            clock.armed = true;
            Future<HttpResponse<Buffer>> inFlight = client.post(server.port(), "127.0.0.1", Endpoints.INTROSPECT)
                    .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token));
            return vertx.executeBlocking(() -> clock.entered.await(BOUND_SECONDS, TimeUnit.SECONDS))
                    .compose(entered -> {
                        tc.verify(() -> assertThat(entered).as("the request reached verification").isTrue());
                        server.close().onComplete(closed);
                        tc.verify(() -> assertThat(server.draining()).isTrue());
                        // The listener goes away while the request is still held.
                        return refusedSoon(vertx, probe, server.port(), 200);
                    })
                    .compose(v -> {
                        tc.verify(() -> assertThat(inFlight.isComplete()).as("the request was still in flight").isFalse());
                        clock.armed = false;
                        clock.release.countDown();
                        return inFlight;
                    })
                    .compose(res -> {
                        tc.verify(() -> {
                            assertThat(clock.releasedInTime).isTrue();
                            assertThat(res.statusCode()).isEqualTo(200);
                            JsonObject body = res.bodyAsJsonObject();
                            assertThat(body.getBoolean("active")).isTrue();
                            assertThat(body.getString("iss")).isEqualTo(ISSUER);
                            assertThat(body.getString("alg")).isEqualTo("EdDSA");
                        });
                        return closed.future();
                    })
                    .compose(v -> probe.connect(server.port(), "127.0.0.1").transform(ar -> ar.failed()
                            ? Future.<Void>succeededFuture()
                            : Future.<Void>failedFuture(new AssertionError("a new connection was accepted after close()"))));
        }).onComplete(tc.succeeding(v -> {
            client.close();
            tc.completeNow();
        }));
    }

    /** Retries a plain TCP connect every 10 ms until it is refused; fails after {@code tries}. */
    private static Future<Void> refusedSoon(Vertx vertx, NetClient probe, int port, int tries) {
        return probe.connect(port, "127.0.0.1").transform(ar -> {
            if (ar.failed()) {
                return Future.succeededFuture();
            }
            ar.result().close();
            if (tries <= 1) {
                return Future.failedFuture(new AssertionError("the server still accepts connections after close() began"));
            }
            Promise<Void> next = Promise.promise();
            vertx.setTimer(10, id -> refusedSoon(vertx, probe, port, tries - 1).onComplete(next));
            return next.future();
        });
    }
}
