package org.cijwt.web;

import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.cijwt.errors.CiJwtException;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.testkit.TestKeyRings;
import org.cijwt.testkit.TestPolicies;
import org.cijwt.testkit.TestTokens;
import org.cijwt.tokens.MintedToken;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Starts a real server on port 0 with the committed TEST signing keys and a clock the test controls. */
@ExtendWith(VertxExtension.class)
abstract class ServerTestBase {
    static final String ISSUER = TestPolicies.ISSUER;
    static final String AUDIENCE = TestPolicies.AUDIENCE;
    static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(NOW);
    ReloadingKeyRing keys;
    WebServer server;
    WebClient client;

    /** The key source the server publishes: the committed TEST keys, one signing key per algorithm. */
    KeySource keySource() throws CiJwtException {
        return TestKeyRings.source();
    }

    WebConfig.Builder configure(WebConfig.Builder b) {
        return b;
    }

    @BeforeEach
    void startServer(Vertx vertx, VertxTestContext tc) throws CiJwtException {
        keys = ReloadingKeyRing.start(keySource(), clock);
        WebConfig config = configure(WebConfig.builder().listen("127.0.0.1", 0).issuer(ISSUER).audiences(List.of(AUDIENCE))
                .eventLoops(1).verifyWorkers(2).reloadInterval(Duration.ZERO).shutdownGrace(Duration.ofSeconds(1))).build();
        client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1"));
        WebServer.start(vertx, config, keys, clock).onComplete(tc.succeeding(s -> {
            server = s;
            tc.completeNow();
        }));
    }

    @AfterEach
    void stopServer(VertxTestContext tc) {
        if (client != null) {
            client.close();
        }
        if (server == null) {
            tc.completeNow();
        } else {
            server.close().onComplete(tc.succeedingThenComplete());
        }
    }

    int port() {
        return server.port();
    }

    static MintedToken mint(KeyRing ring, Clock at, String issuer, String audience, SigningAlgorithm alg) throws CiJwtException {
        return TestTokens.mint(ring, at, TestPolicies.policy(issuer, audience, alg));
    }

    MintedToken mint(SigningAlgorithm alg) throws CiJwtException {
        return mint(keys.get(), clock, ISSUER, AUDIENCE, alg);
    }
}
