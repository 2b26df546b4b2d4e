package org.cijwt.vault.transit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.fixtures.ProjectPaths;
import org.cijwt.fixtures.launch.OpenBaoServer;

/**
 * Sets up the Transit engine on a real OpenBao for the tests: mounts it, makes keys, and gives the
 * signer a token with exactly the policy docs/transit.md documents (read from that file, so the two
 * cannot drift apart).
 */
final class TransitLab {
    static final String MOUNT = "transit";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern POLICY = Pattern.compile(
            "<!-- transit-signer-policy[^\\n]*-->\\s*```hcl\\n(.*?)```", Pattern.DOTALL);

    private final OpenBaoServer bao;

    private TransitLab(OpenBaoServer bao) {
        this.bao = bao;
    }

    /** The lab on {@code bao}, configured with its root token. */
    static TransitLab of(OpenBaoServer bao) {
        return new TransitLab(bao);
    }

    private JsonNode call(String method, String path, String jsonBody) throws IOException, InterruptedException {
        return bao.apiOk(method, path, jsonBody).json();
    }

    /** The signer policy of docs/transit.md for {@code mount/key} (the doc's is written for {@code transit/ci-jwt}). */
    static String signerPolicy(String mount, String key) throws IOException {
        String doc = Files.readString(ProjectPaths.repoRoot().resolve("docs").resolve("transit.md"), StandardCharsets.UTF_8);
        Matcher m = POLICY.matcher(doc);
        if (!m.find()) {
            throw new AssertionError("docs/transit.md has no transit-signer-policy block");
        }
        return m.group(1).replace("transit/sign/ci-jwt\"", mount + "/sign/" + key + "\"")
                .replace("transit/keys/ci-jwt\"", mount + "/keys/" + key + "\"");
    }

    void mountTransit() throws Exception {
        call("POST", "sys/mounts/" + MOUNT, "{\"type\":\"transit\"}");
    }

    void createKey(String key, String type) throws Exception {
        createKey(key, type, false);
    }

    /** An exportable key lets a test read the private key, to prove it never appears on the worker. */
    void createKey(String key, String type, boolean exportable) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("type", type).put("exportable", exportable);
        call("POST", MOUNT + "/keys/" + key, body.toString());
    }

    void rotate(String key) throws Exception {
        call("POST", MOUNT + "/keys/" + key + "/rotate", null);
    }

    void minDecryptionVersion(String key, int version) throws Exception {
        call("POST", MOUNT + "/keys/" + key + "/config", "{\"min_decryption_version\":" + version + "}");
    }

    /** The private key of every version, as Vault exports it (base64 or PEM), for a leak search. */
    Map<String, String> exportPrivate(String key) throws Exception {
        JsonNode keys = call("GET", MOUNT + "/export/signing-key/" + key, null).path("data").path("keys");
        Map<String, String> out = new HashMap<>();
        keys.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** Writes the signer policy of docs/transit.md for the key; returns the policy's name. */
    String signerPolicy(String key) throws Exception {
        String policy = "ci-jwt-signer-" + key;
        call("POST", "sys/policies/acl/" + policy, JSON.createObjectNode().put("policy", signerPolicy(MOUNT, key)).toString());
        return policy;
    }

    /** Writes the signer policy of docs/transit.md for the key and returns a token that has it (and Vault's default policy). */
    String signerToken(String key, Duration ttl) throws Exception {
        String policy = signerPolicy(key);
        ObjectNode body = JSON.createObjectNode().put("ttl", ttl.toSeconds() + "s");
        body.putArray("policies").add(policy);
        return call("POST", "auth/token/create", body.toString()).path("auth").path("client_token").asText();
    }

    /** The environment a signer gets: the address, the token and, if given, the settings file. */
    static Map<String, String> env(String address, String token, Path settingsFile) {
        Map<String, String> env = new HashMap<>();
        env.put("VAULT_ADDR", address);
        if (token != null) {
            env.put("VAULT_TOKEN", token);
        }
        if (settingsFile != null) {
            env.put(TransitSettings.CONFIG_ENV, settingsFile.toString());
        }
        return env;
    }
}
