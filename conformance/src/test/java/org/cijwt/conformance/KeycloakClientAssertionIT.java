package org.cijwt.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.TestJwts;
import org.cijwt.fixtures.TestKeys.Alg;
import org.cijwt.fixtures.launch.Containerd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 7523 §2.2 with Keycloak's federated client assertions: a build authenticates as an OAuth
 * client with its ci-jwt token instead of a client secret. Keycloak reads the issuer's JWKS, finds
 * the client by the token's issuer and {@code sub}, and records every {@code jti} it accepted.
 *
 * <p>Set-up: Keycloak's distribution (about 180 MB) comes from Maven Central through Maven like any
 * dependency, and is unpacked and built once per machine into {@code ~/.cache/ci-jwt/tools} (about
 * 2 minutes); it needs a Java 21 or newer. Each run starts it in about a minute.
 */
class KeycloakClientAssertionIT {
    private static final String CLIENT = "deploy-pipeline";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static Issuer issuer;
    static Keycloak keycloak;
    static Worker worker;

    @BeforeAll
    static void start() throws Exception {
        Worker.assumeAvailable();
        Optional<Path> javaHome = Keycloak.javaHome();
        if (javaHome.isEmpty()) {
            Assume.unavailable("Keycloak needs a Java " + Keycloak.MIN_JAVA + " or newer: none here (this JVM, /usr/lib/jvm,"
                    + " $CI_JWT_KEYCLOAK_JAVA_HOME)");
        }
        Path kcSh = Tools.require(Tools.keycloak(javaHome.get()));
        issuer = Issuer.start(Files.createDirectories(dir.resolve("issuer")));
        keycloak = Keycloak.start(Files.createDirectories(dir.resolve("keycloak")), kcSh, javaHome.get());
        keycloak.configure(issuer.url());
        worker = Worker.start(Files.createDirectories(dir.resolve("worker")), issuer.url(), keycloak.realmIssuer());
    }

    @AfterAll
    static void stop() {
        ServerProcess.closeAll(worker, keycloak, issuer);
    }

    @Test
    void clientCredentialsWhenATaskAuthenticatesWithItsTokenThenItsPipelinesClientGetsATokenAndTheSameTokenTwiceIsRefused()
            throws Exception {
        String token = taskToken(Map.of());

        Http.Reply first = keycloak.clientCredentials(token);
        Http.Reply again = keycloak.clientCredentials(token);

        assertThat(first.status()).as(first.body() + keycloak.log()).isEqualTo(200);
        JsonNode access = JSON.valueToTree(TestJwts.claims(Keycloak.answer(first).path("access_token").asText()));
        assertThat(access.path("azp").asText()).isEqualTo(CLIENT);
        assertThat(access.path("iss").asText()).isEqualTo(keycloak.realmIssuer());

        assertRefused(again, "Token reuse detected");
    }

    @Test
    void clientCredentialsWhenTheTaskIsOfAnotherPipelineThenNoClientIsAuthenticated() throws Exception {
        Http.Reply r = keycloak.clientCredentials(taskToken(Map.of("pipeline", "other")));

        // No client is bound to main/other, so no authenticator succeeds: Keycloak's generic 401.
        assertThat(r.status()).as(r.body()).isEqualTo(401);
        assertThat(Keycloak.answer(r).path("error").asText()).isEqualTo("invalid_client");
        assertThat(Keycloak.answer(r).path("error_description").asText()).isEqualTo("Invalid client or Invalid client credentials");
    }

    @Test
    void clientCredentialsWhenTheTokenIsForAnotherAudienceThenRefused() throws Exception {
        assertRefused(keycloak.clientCredentials(token(Alg.RS256).audience("vault").sign()), "Invalid token audience");
    }

    @Test
    void clientCredentialsWhenTheTokenHasExpiredThenRefused() throws Exception {
        assertRefused(keycloak.clientCredentials(token(Alg.EdDSA).expired().sign()), "Token is not active");
    }

    @Test
    void clientCredentialsWhenTheTokenIsSignedWithAnotherPublishedAlgorithmThenAccepted() throws Exception {
        Http.Reply r = keycloak.clientCredentials(token(Alg.EdDSA).sign());

        assertThat(r.status()).as(r.body() + keycloak.log()).isEqualTo(200);
    }

    /** Keycloak's answer to a client it could not authenticate: 400, invalid_client, and why. */
    private static void assertRefused(Http.Reply r, String why) throws Exception {
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(Keycloak.answer(r).path("error").asText()).isEqualTo("invalid_client");
        assertThat(Keycloak.answer(r).path("error_description").asText()).isEqualTo(why);
    }

    private static String taskToken(Map<String, String> metadata) throws Exception {
        Containerd.Result r = worker.runTask(metadata, List.of(), "echo \"token=$(cat \"$CONCOURSE_CI_JWT_FILE\")\"");
        return r.output().lines().filter(l -> l.startsWith("token=")).findFirst().orElseThrow().substring("token=".length()).strip();
    }

    private static TestJwts.Builder token(Alg alg) {
        return TestJwts.jwt(alg).issuer(issuer.url()).audience(keycloak.realmIssuer());
    }
}
