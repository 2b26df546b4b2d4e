package org.cijwt.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.cijwt.fixtures.ProjectPaths;

/**
 * ORY Hydra on 127.0.0.1 with an in-memory database and the committed
 * {@code fixtures/relying-parties/hydra.yaml}; its admin API registers clients and trusted
 * issuers' keys, its public API answers the token endpoint.
 */
final class Hydra implements AutoCloseable {
    /** RFC 7523's grant type. */
    static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String publicUrl;
    private final String adminUrl;
    private final ServerProcess process;

    private Hydra(String publicUrl, String adminUrl, ServerProcess process) {
        this.publicUrl = publicUrl;
        this.adminUrl = adminUrl;
        this.process = process;
    }

    static Hydra start(Path dir, Path binary) throws IOException, InterruptedException {
        return ServerProcess.onFreePorts(2, ports -> start(dir, binary, ports[0], ports[1]));
    }

    private static Hydra start(Path dir, Path binary, int pub, int admin) throws IOException, InterruptedException {
        String publicUrl = "http://127.0.0.1:" + pub;
        String adminUrl = "http://127.0.0.1:" + admin;
        Map<String, String> env = Map.of("DSN", "memory", "URLS_SELF_ISSUER", publicUrl,
                "SECRETS_SYSTEM", "a-TEST-only-system-secret-of-32-bytes",
                "SERVE_PUBLIC_HOST", "127.0.0.1", "SERVE_PUBLIC_PORT", String.valueOf(pub),
                "SERVE_ADMIN_HOST", "127.0.0.1", "SERVE_ADMIN_PORT", String.valueOf(admin));
        // --dev allows the plain-http issuer on loopback; --sqa-opt-out keeps Hydra from reporting usage to ORY.
        ServerProcess p = ServerProcess.start(dir, "hydra", List.of(binary.toString(), "serve", "all", "--dev", "--sqa-opt-out",
                "-c", ProjectPaths.relyingParties().resolve("hydra.yaml").toString()), env,
                () -> Http.status(adminUrl + "/health/ready") == 200 && Http.status(publicUrl + "/health/ready") == 200);
        return new Hydra(publicUrl, adminUrl, p);
    }

    /** The token endpoint: the audience Hydra requires of an assertion. */
    String tokenEndpoint() {
        return publicUrl + "/oauth2/token";
    }

    /** Registers a public client (no secret: the build's token is its only credential) allowed the JWT bearer grant. */
    String registerPublicClient(String scope) throws IOException, InterruptedException {
        Http.Reply r = Http.postJson(adminUrl + "/admin/clients", JSON.createObjectNode()
                .put("token_endpoint_auth_method", "none").put("scope", scope)
                .set("grant_types", JSON.createArrayNode().add(JWT_BEARER)).toString());
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).path("client_id").asText();
    }

    /** Trusts one public key of {@code issuer} for tokens whose {@code sub} is {@code subject}, granting {@code scope}. */
    void trust(String issuer, String subject, JsonNode publicJwk, String scope) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("issuer", issuer).put("subject", subject)
                .put("expires_at", Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString());
        body.set("scope", JSON.createArrayNode().add(scope));
        body.set("jwk", publicJwk);
        Http.Reply r = Http.postJson(adminUrl + "/admin/trust/grants/jwt-bearer/issuers", body.toString());
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    /** RFC 7523 §2.1: exchanges {@code assertion} for an access token, as the public client. */
    Http.Reply exchange(String clientId, String assertion, String scope) throws IOException, InterruptedException {
        return Http.postForm(tokenEndpoint(), Map.of("grant_type", JWT_BEARER, "assertion", assertion, "scope", scope,
                "client_id", clientId), null, null);
    }

    /** What Hydra's admin introspection says of an access token it issued. */
    JsonNode introspect(String accessToken) throws IOException, InterruptedException {
        return JSON.readTree(Http.postForm(adminUrl + "/admin/oauth2/introspect", Map.of("token", accessToken), null, null).body());
    }

    String log() {
        return process.log();
    }

    @Override
    public void close() {
        process.close();
    }
}
