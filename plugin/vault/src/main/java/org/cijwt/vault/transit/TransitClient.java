package org.cijwt.vault.transit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.vault.client.Deadline;
import org.cijwt.vault.client.VaultAnswer;
import org.cijwt.vault.client.VaultClient;
import org.cijwt.vault.client.VaultFailure;
import org.cijwt.vault.client.VaultRequest;
import org.cijwt.vault.client.VaultTokens;

/**
 * The two Transit calls the signer makes on one key, with its token: read the key
 * ({@code GET MOUNT/keys/KEY}) and sign a batch ({@code POST MOUNT/sign/KEY} with
 * {@code batch_input} and an explicit {@code key_version}), both through the one
 * {@link VaultClient} and the signer's {@link VaultTokens}. A token Vault refuses after it had
 * accepted it is replaced by a new login and the call tried once more.
 */
final class TransitClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(1);

    private final TransitKeyName name;
    private final VaultClient http;
    private final VaultTokens tokens;

    /** One signature of a batch, or why Vault did not make it. */
    record Signed(byte[] signature, String error) {
        static Signed failed(String error) {
            return new Signed(null, error);
        }
    }

    TransitClient(TransitKeyName name, TransitSettings settings) throws CiJwtException {
        this.name = name;
        this.http = new VaultClient(new VaultClient.Connection(settings.address(), settings.namespace(), settings.tls(),
                settings.connectTimeout(), VaultClient.Retries.untilDeadline(FIRST_BACKOFF, MAX_BACKOFF),
                "transit settings"));
        this.tokens = new VaultTokens(http, source(settings.auth()), VaultTokens.monotonic(), settings.timeout(), true);
    }

    /** How the settings' auth method gets a token: given by the operator, or a login made afresh each time. */
    private static VaultTokens.Source source(TransitAuth auth) {
        if (auth instanceof TransitAuth.Token t) {
            return new VaultTokens.Given(t.value(), t.file(), auth.describe());
        }
        VaultTokens.Credentials credentials;
        String mount;
        if (auth instanceof TransitAuth.AppRole a) {
            mount = a.mount();
            credentials = () -> JSON.createObjectNode().put("role_id", a.roleId())
                    .put("secret_id", VaultTokens.readFile(a.secretIdFile(), "AppRole secret_id_file", true));
        } else if (auth instanceof TransitAuth.JwtLogin j) {
            mount = j.mount();
            credentials = () -> JSON.createObjectNode().put("role", j.role())
                    .put("jwt", VaultTokens.readFile(j.jwtFile(), j.method() + " jwt_file", false));
        } else {
            TransitAuth.Cert c = (TransitAuth.Cert) auth;
            mount = c.mount();
            credentials = () -> {
                ObjectNode body = JSON.createObjectNode();
                c.role().ifPresent(r -> body.put("name", r));
                return body;
            };
        }
        return new VaultTokens.Login("auth/" + mount + "/login", credentials, true, auth.describe(), Optional.empty());
    }

    TransitKeyName name() {
        return name;
    }

    String address() {
        return http.address();
    }

    VaultClient http() {
        return http;
    }

    VaultTokens tokens() {
        return tokens;
    }

    /** The key's {@code data}; a missing key or a refusal fails naming the key, the address and Vault's reason. */
    JsonNode readKey(Deadline deadline) throws CiJwtException {
        String what = "reading transit key " + name;
        VaultAnswer a = call(VaultRequest.get(name.readPath(), what), deadline);
        if (a.status() == 404) {
            throw new CiJwtException(ErrorCode.KEY_NOT_FOUND, "Vault at " + address() + " has no transit key " + name
                    + " (create it with: bao write " + name.mount() + "/keys/" + name.key() + " type=ecdsa-p256)");
        }
        if (!a.ok()) {
            throw refused(a, what, "read on " + name.readPath());
        }
        return a.json().path("data");
    }

    /**
     * Signs each input with one version. For ES256 and RS256 the SHA-256 digest is computed here and
     * sent {@code prehashed}, so Vault never sees the claims; Ed25519 signs the message itself.
     *
     * @return one result per input, in order
     */
    List<Signed> sign(int version, SigningAlgorithm alg, List<byte[]> inputs, Deadline deadline) throws CiJwtException {
        String what = "signing with transit key " + name + " version " + version;
        ObjectNode body = JSON.createObjectNode().put("key_version", version);
        switch (alg) {
            case EdDSA -> { }
            case ES256 -> body.put("hash_algorithm", "sha2-256").put("prehashed", true).put("marshaling_algorithm", "jws");
            case RS256 -> body.put("hash_algorithm", "sha2-256").put("prehashed", true).put("signature_algorithm", "pkcs1v15");
        }
        ArrayNode batch = body.putArray("batch_input");
        for (byte[] input : inputs) {
            byte[] data = alg == SigningAlgorithm.EdDSA ? input : TransitSignatures.sha256(input);
            batch.addObject().put("input", Base64.getEncoder().encodeToString(data));
        }
        VaultAnswer a = call(VaultRequest.post(name.signPath(), body, what), deadline);
        if (!a.ok()) {
            throw refused(a, what, "update on " + name.signPath());
        }
        JsonNode results = a.json().path("data").path("batch_results");
        if (!results.isArray() || results.size() != inputs.size()) {
            throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "Vault at " + address() + ": " + what
                    + " gave " + (results.isArray() ? results.size() : 0) + " results for " + inputs.size() + " inputs");
        }
        List<Signed> out = new ArrayList<>(inputs.size());
        for (JsonNode r : results) {
            String error = r.path("error").asText("");
            if (!error.isEmpty()) {
                out.add(Signed.failed(VaultAnswer.oneLine(error)));
                continue;
            }
            try {
                out.add(new Signed(TransitSignatures.decode(r.path("signature").asText(""), version, alg), null));
            } catch (IllegalArgumentException e) {
                out.add(Signed.failed(e.getMessage()));
            }
        }
        return out;
    }

    /** One call with the signer's token; Vault's own failures become CJ209 naming the address and the call. */
    private VaultAnswer call(VaultRequest request, Deadline deadline) throws CiJwtException {
        try {
            return tokens.call(request, deadline);
        } catch (VaultFailure f) {
            throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, f.getMessage());
        }
    }

    private CiJwtException refused(VaultAnswer a, String what, String capability) {
        String hint = a.status() == 403 ? " (the token's policy needs " + capability + ")" : "";
        return new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "Vault at " + address() + " refused " + what + ": "
                + a.statusAndErrors() + hint);
    }

    @Override
    public void close() {
        tokens.close();
    }
}
