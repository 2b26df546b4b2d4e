package org.cijwt.vault.transit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;

/**
 * The two Transit calls the signer makes on one key, with its token: read the key
 * ({@code GET MOUNT/keys/KEY}) and sign a batch ({@code POST MOUNT/sign/KEY} with
 * {@code batch_input} and an explicit {@code key_version}). A refused token is replaced by a new
 * login and the call tried once more.
 */
final class TransitClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TransitKeyName name;
    private final TransitHttp http;
    private final VaultTokens tokens;

    /** One signature of a batch, or why Vault did not make it. */
    record Signed(byte[] signature, String error) {
        static Signed failed(String error) {
            return new Signed(null, error);
        }
    }

    TransitClient(TransitKeyName name, TransitSettings settings) throws CiJwtException {
        this.name = name;
        this.http = new TransitHttp(settings);
        this.tokens = new VaultTokens(settings.auth(), http, settings.timeout());
    }

    TransitKeyName name() {
        return name;
    }

    String address() {
        return http.address();
    }

    TransitHttp http() {
        return http;
    }

    VaultTokens tokens() {
        return tokens;
    }

    /** The key's {@code data}; a missing key or a refusal fails naming the key, the address and Vault's reason. */
    JsonNode readKey(Deadline deadline) throws CiJwtException {
        String what = "reading transit key " + name;
        TransitHttp.Answer a = authorized("GET", name.readPath(), null, deadline, what);
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
        TransitHttp.Answer a = authorized("POST", name.signPath(), body, deadline, what);
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
                out.add(Signed.failed(TransitHttp.oneLine(error)));
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

    private TransitHttp.Answer authorized(String method, String path, JsonNode body, Deadline deadline, String what)
            throws CiJwtException {
        String token = tokens.token(deadline);
        TransitHttp.Answer a = http.call(method, path, token, body, deadline, what);
        if (a.status() == 403 && !deadline.passed()) {
            tokens.refused(token);
            String again = tokens.token(deadline);
            if (!again.equals(token)) {
                a = http.call(method, path, again, body, deadline, what);
            }
        }
        return a;
    }

    private CiJwtException refused(TransitHttp.Answer a, String what, String capability) {
        String hint = a.status() == 403 ? " (the token's policy needs " + capability + ")" : "";
        return new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "Vault at " + address() + " refused " + what + ": "
                + a.reason() + hint);
    }

    @Override
    public void close() {
        tokens.close();
    }
}
