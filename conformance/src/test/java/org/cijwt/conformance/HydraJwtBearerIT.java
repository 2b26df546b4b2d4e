package org.cijwt.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cijwt.fixtures.TestJwts;
import org.cijwt.fixtures.TestKeys.Alg;
import org.cijwt.fixtures.launch.Containerd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 7523 §2.1 with ORY Hydra: a build exchanges its ci-jwt token for an OAuth access token (the
 * JWT bearer authorization grant). Hydra pins keys rather than reading the JWKS: the issuer's keys
 * are registered through the admin API, one entry per key, bound to the subject {@code main/deploy}
 * (the pipeline, ci-jwt's default subject scope). Hydra records every {@code jti} it accepted.
 *
 * <p>Set-up: Hydra is built once per machine into {@code ~/.cache/ci-jwt/tools} (cold: about 20 s
 * with the modules downloaded; see BENCHMARKS.md); with the cache warm this class takes about 20 s.
 */
class HydraJwtBearerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCOPE = "deploy";
    private static final String SUBJECT = "main/deploy";

    @TempDir
    static Path dir;

    static Issuer issuer;
    static Hydra hydra;
    static Worker worker;
    static String client;

    @BeforeAll
    static void start() throws Exception {
        Worker.assumeAvailable();
        Path binary = Tools.require(Tools.hydra());
        issuer = Issuer.start(Files.createDirectories(dir.resolve("issuer")));
        hydra = Hydra.start(Files.createDirectories(dir.resolve("hydra")), binary);
        worker = Worker.start(Files.createDirectories(dir.resolve("worker")), issuer.url(), hydra.tokenEndpoint());
        client = hydra.registerPublicClient(SCOPE);
        // The workers' key (ES256) and EdDSA; RS256 is left for the rotation test to register.
        hydra.trust(issuer.url(), SUBJECT, publishedKey(Alg.ES256.kid()), SCOPE);
        hydra.trust(issuer.url(), SUBJECT, publishedKey(Alg.EdDSA.kid()), SCOPE);
    }

    @AfterAll
    static void stop() {
        ServerProcess.closeAll(worker, hydra, issuer);
    }

    @Test
    void exchangeWhenATaskPresentsItsTokenThenAnAccessTokenForItsPipelineAndTheSameTokenTwiceIsRefused() throws Exception {
        String token = taskToken(Map.of());

        Http.Reply first = hydra.exchange(client, token, SCOPE);
        Http.Reply again = hydra.exchange(client, token, SCOPE);

        assertThat(first.status()).as(first.body() + hydra.log()).isEqualTo(200);
        JsonNode answer = JSON.readTree(first.body());
        assertThat(answer.path("token_type").asText()).isEqualTo("bearer");
        assertThat(answer.path("scope").asText()).isEqualTo(SCOPE);
        JsonNode access = hydra.introspect(answer.path("access_token").asText());
        assertThat(access.path("active").asBoolean()).as(access.toString()).isTrue();
        assertThat(access.path("sub").asText()).isEqualTo(SUBJECT);
        assertThat(access.path("client_id").asText()).isEqualTo(client);

        assertThat(again.status()).isEqualTo(400);
        assertThat(JSON.readTree(again.body()).path("error").asText()).isEqualTo("jti_known");
    }

    @Test
    void exchangeWhenTheTaskIsOfAnotherPipelineThenRefused() throws Exception {
        Http.Reply r = hydra.exchange(client, taskToken(Map.of("pipeline", "other")), SCOPE);

        assertThat(r.status()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).path("error").asText()).isEqualTo("invalid_grant");
        assertThat(r.body()).contains("main/other");
    }

    @Test
    void exchangeWhenTheTokenIsForAnotherAudienceThenRefused() throws Exception {
        Http.Reply r = hydra.exchange(client, token(Alg.ES256).audience("vault").sign(), SCOPE);

        assertThat(r.status()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).path("error").asText()).isEqualTo("invalid_grant");
        assertThat(r.body()).contains("MUST contain an 'aud' (audience) claim containing a value '" + hydra.tokenEndpoint() + "'");
    }

    @Test
    void exchangeWhenTheTokenHasExpiredThenRefused() throws Exception {
        Http.Reply r = hydra.exchange(client, token(Alg.EdDSA).expired().sign(), SCOPE);

        assertThat(r.status()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).path("error").asText()).isEqualTo("invalid_grant");
        assertThat(r.body()).containsIgnoringCase("expired");
    }

    @Test
    void exchangeWhenAKeyIsPublishedButNotYetRegisteredThenRefusedUntilTheOperatorRegistersIt() throws Exception {
        // A rotation: the issuer publishes a new key (here the TEST RS256 key); Hydra, which pins keys, knows only the old ones.
        Http.Reply before = hydra.exchange(client, token(Alg.RS256).sign(), SCOPE);
        assertThat(before.status()).as(before.body()).isEqualTo(400);

        hydra.trust(issuer.url(), SUBJECT, publishedKey(Alg.RS256.kid()), SCOPE);
        Http.Reply after = hydra.exchange(client, token(Alg.RS256).sign(), SCOPE);

        assertThat(after.status()).as(after.body()).isEqualTo(200);
    }

    /** The token a task of the sample build (with {@code metadata} changed) reads from its token file. */
    private static String taskToken(Map<String, String> metadata) throws Exception {
        Containerd.Result r = worker.runTask(metadata, List.of(), "echo \"token=$(cat \"$CONCOURSE_CI_JWT_FILE\")\"");
        return r.output().lines().filter(l -> l.startsWith("token=")).findFirst().orElseThrow().substring("token=".length()).strip();
    }

    private static TestJwts.Builder token(Alg alg) {
        return TestJwts.jwt(alg).issuer(issuer.url()).audience(hydra.tokenEndpoint());
    }

    /** One key of the issuer's published JWKS, as an operator would copy it into Hydra. */
    private static JsonNode publishedKey(String kid) throws Exception {
        for (JsonNode key : JSON.readTree(issuer.jwks()).path("keys")) {
            if (kid.equals(key.path("kid").asText())) {
                return key;
            }
        }
        throw new AssertionError("the issuer publishes no key " + kid + ": " + issuer.jwks());
    }
}
