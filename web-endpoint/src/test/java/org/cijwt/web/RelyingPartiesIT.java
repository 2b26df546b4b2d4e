package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.cijwt.fixtures.RelyingParties;
import org.cijwt.fixtures.launch.LoopbackPorts;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.testkit.TestKeyRings;
import org.cijwt.testkit.TestPolicies;
import org.cijwt.testkit.TestTokens;
import org.cijwt.tokens.MintedToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Independent relying parties find the keys through the running server's discovery document and
 * verify tokens the plugin minted: PyJWT ({@code PyJWKClient}) and jose ({@code createRemoteJWKSet}).
 */
class RelyingPartiesIT {
    private static final String AUDIENCE = "relying-party";

    static Vertx vertx;
    static WebServer server;
    static ReloadingKeyRing keys;
    static String issuer;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        keys = ReloadingKeyRing.start(TestKeyRings.source(), Clock.systemUTC());
        // The issuer must be the URL the relying parties fetch discovery from, so the port is fixed first.
        int port = LoopbackPorts.free();
        issuer = "http://127.0.0.1:" + port;
        WebConfig config = WebConfig.builder().listen("127.0.0.1", port).issuer(issuer).eventLoops(1)
                .reloadInterval(Duration.ZERO).build();
        server = WebServer.start(vertx, config, keys).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static MintedToken mint(SigningAlgorithm alg, String tokenIssuer) {
        return TestTokens.mint(keys.get(), Clock.systemUTC(), TestPolicies.policy(tokenIssuer, AUDIENCE, alg));
    }

    private static URI discovery() {
        return URI.create(issuer + Endpoints.DISCOVERY);
    }

    @ParameterizedTest
    @EnumSource(SigningAlgorithm.class)
    void pyJwtWhenKeysFoundThroughDiscoveryThenTokenVerifies(SigningAlgorithm alg) throws Exception {
        RelyingParties.assumePythonTools();
        String claims = RelyingParties.verifyWithPyJwtDiscovery(discovery(), issuer, AUDIENCE, mint(alg, issuer).compact()).assertAccepted();
        assertThat(claims).contains("\"team\"").contains("\"main\"");
    }

    @ParameterizedTest
    @EnumSource(SigningAlgorithm.class)
    void joseWhenKeysFoundThroughDiscoveryThenTokenVerifies(SigningAlgorithm alg) throws Exception {
        RelyingParties.assumeNodeTools();
        String claims = RelyingParties.verifyWithJoseDiscovery(discovery(), issuer, AUDIENCE, mint(alg, issuer).compact()).assertAccepted();
        assertThat(claims).contains("\"team\"").contains("\"main\"");
    }

    @Test
    void relyingPartiesWhenIssuerDiffersThenRejectTheToken() throws Exception {
        RelyingParties.assumePythonTools();
        RelyingParties.assumeNodeTools();
        String token = mint(SigningAlgorithm.EdDSA, "https://somebody-else.example.test").compact();
        RelyingParties.verifyWithPyJwtDiscovery(discovery(), issuer, AUDIENCE, token).assertRejected("issuer mismatch");
        RelyingParties.verifyWithJoseDiscovery(discovery(), issuer, AUDIENCE, token).assertRejected("issuer mismatch");
    }
}
