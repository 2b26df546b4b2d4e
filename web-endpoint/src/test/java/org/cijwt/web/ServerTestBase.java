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
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.EmbeddedKeyStore;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.keys.RotationPolicy;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Starts a real server on port 0 with the fixture signing keys and a clock the test controls. */
@ExtendWith(VertxExtension.class)
abstract class ServerTestBase {
    static final String ISSUER = "https://ci.example.test";
    static final String AUDIENCE = "vault";
    static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    /** Generated once per class: an RSA key takes a while. */
    @TempDir
    static Path keyDir;

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(NOW);
    ReloadingKeyRing keys;
    WebServer server;
    WebClient client;

    /** The key source the server publishes: an embedded store with one signing key per algorithm. */
    KeySource keySource() throws CiJwtException {
        return new EmbeddedKeyStore(keyDir, RotationPolicy.NEVER, clock, EmbeddedKeyStore.DEFAULT_ALGORITHMS);
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
        ClaimsPolicy policy = ClaimsPolicy.builder().issuer(issuer).audience(audience).algorithm(alg).ttl(Duration.ofMinutes(10)).build();
        return new TokenMinter(() -> ring, at).mint(BuildMetadata.fromJson(TestKeys.metadata("main"), "main.json"), policy);
    }

    MintedToken mint(SigningAlgorithm alg) throws CiJwtException {
        return mint(keys.get(), clock, ISSUER, AUDIENCE, alg);
    }
}
