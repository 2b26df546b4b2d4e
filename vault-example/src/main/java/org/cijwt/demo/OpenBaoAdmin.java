package org.cijwt.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * The operator's side of the example: configures a Vault or OpenBao server over its HTTP API with
 * an admin token (JWT auth mount, role, policy, KV mounts and secrets), as the RFC's appendix does
 * with curl. The admin token is never printed.
 */
public final class OpenBaoAdmin {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI address;
    private final String adminToken;
    private final HttpClient http;

    /**
     * @param address the server's base address, e.g. {@code http://127.0.0.1:8200}
     * @param adminToken a token allowed to change auth methods, policies and mounts (the dev root token)
     */
    public OpenBaoAdmin(URI address, String adminToken) {
        this.address = Objects.requireNonNull(address, "address");
        this.adminToken = Objects.requireNonNull(adminToken, "adminToken");
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** The role settings of the example: who may log in, with which audience, and what the token may read. */
    public record JwtRole(String name, String audience, Map<String, String> boundClaims, List<String> policies,
                          Duration tokenTtl) {
        public JwtRole {
            boundClaims = Map.copyOf(boundClaims);
            policies = List.copyOf(policies);
        }
    }

    /** Enables the JWT auth method at {@code auth/<path>} (as the RFC's first curl does). */
    public void enableJwtAuth(String path) throws CiJwtException {
        call("POST", "sys/auth/" + path, JSON.createObjectNode().put("type", "jwt").put("description",
                "ci-jwt build identities"));
    }

    /** Trusts our issuer by OIDC discovery: OpenBao fetches {@code <issuer>/.well-known/openid-configuration}. */
    public void trustIssuerByDiscovery(String path, String issuer) throws CiJwtException {
        call("POST", "auth/" + path + "/config", JSON.createObjectNode()
                .put("oidc_discovery_url", issuer)
                .put("bound_issuer", issuer));
    }

    /** Trusts fixed public keys (PEM) instead of discovery, for a server that cannot reach the issuer. */
    public void trustPublicKeys(String path, String issuer, List<String> publicKeyPems) throws CiJwtException {
        ObjectNode body = JSON.createObjectNode().put("bound_issuer", issuer);
        publicKeyPems.forEach(body.putArray("jwt_validation_pubkeys")::add);
        call("POST", "auth/" + path + "/config", body);
    }

    /** Creates or replaces a {@code role_type=jwt} role with {@code user_claim=sub}. */
    public void writeRole(String path, JwtRole role) throws CiJwtException {
        ObjectNode body = JSON.createObjectNode()
                .put("role_type", "jwt")
                .put("user_claim", "sub")
                .put("bound_claims_type", "string")
                .put("token_ttl", role.tokenTtl().toSeconds() + "s")
                .put("token_max_ttl", role.tokenTtl().toSeconds() + "s");
        body.putArray("bound_audiences").add(role.audience());
        ObjectNode claims = body.putObject("bound_claims");
        role.boundClaims().forEach(claims::put);
        role.policies().forEach(body.putArray("token_policies")::add);
        call("POST", "auth/" + path + "/role/" + role.name(), body);
    }

    /** Creates or replaces an ACL policy. */
    public void writePolicy(String name, String hcl) throws CiJwtException {
        call("POST", "sys/policies/acl/" + name, JSON.createObjectNode().put("policy", hcl));
    }

    /** Mounts a KV engine of version 1 or 2 at {@code path}. */
    public void mountKv(String path, int version) throws CiJwtException {
        ObjectNode body = JSON.createObjectNode().put("type", "kv");
        body.putObject("options").put("version", Integer.toString(version));
        call("POST", "sys/mounts/" + path, body);
    }

    /** Writes a secret into a KV mount of the given version. */
    public void writeSecret(String mount, int version, String path, Map<String, ?> data) throws CiJwtException {
        JsonNode values = JSON.valueToTree(data);
        if (version == 2) {
            ObjectNode body = JSON.createObjectNode();
            body.set("data", values);
            call("POST", mount + "/data/" + path, body);
        } else {
            call("POST", mount + "/" + path, values);
        }
    }

    /** The example's policy: read only the team's own secrets and the pipeline's, in a KV v2 mount. */
    public static String teamPipelinePolicy(String mount, String team, String pipeline) {
        // '+' is one path segment, so the team level does not reach into other pipelines' folders.
        return "path \"" + mount + "/data/" + team + "/" + pipeline + "/*\" { capabilities = [\"read\"] }\n"
                + "path \"" + mount + "/data/" + team + "/+\" { capabilities = [\"read\"] }\n"
                + "path \"" + mount + "/data/shared/" + pipeline + "/*\" { capabilities = [\"read\"] }\n";
    }

    private JsonNode call(String method, String path, JsonNode body) throws CiJwtException {
        HttpRequest request = HttpRequest.newBuilder(uri(path))
                .timeout(TIMEOUT)
                .header("X-Vault-Token", adminToken)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8))
                .build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (response.statusCode() / 100 != 2) {
                throw new CiJwtException(ErrorCode.VAULT_FAILED, method + " " + address + "/v1/" + path + " answered "
                        + response.statusCode() + ": " + response.body().strip());
            }
            return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.VAULT_FAILED, method + " " + address + "/v1/" + path + " failed: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CiJwtException(ErrorCode.VAULT_FAILED, "interrupted calling " + path);
        }
    }

    private URI uri(String path) {
        try {
            return new URI(address.getScheme(), null, address.getHost(), address.getPort(), "/v1/" + path, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a usable API path: " + path, e);
        }
    }

    @Override
    public String toString() {
        return "OpenBaoAdmin[" + address + "]";
    }
}
