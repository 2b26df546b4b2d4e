package org.cijwt.vault.transit;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyCodec;

/**
 * What {@code GET MOUNT/keys/KEY} says about a Transit key: its type (and so the one algorithm it
 * signs), the version bounds, and each version's public key and creation time. Vault lists only
 * the versions from {@code min_decryption_version} up.
 */
record TransitKeyInfo(String type, SigningAlgorithm algorithm, int latestVersion, int minDecryptionVersion,
                      int minEncryptionVersion, List<Version> versions) {

    /** Transit key types ci-jwt signs with, and the JWS algorithm of each. */
    static final Map<String, SigningAlgorithm> TYPES = Map.of(
            "ed25519", SigningAlgorithm.EdDSA,
            "ecdsa-p256", SigningAlgorithm.ES256,
            "rsa-2048", SigningAlgorithm.RS256,
            "rsa-3072", SigningAlgorithm.RS256,
            "rsa-4096", SigningAlgorithm.RS256);

    /** One version of the key: its number, when Vault made it, and its public key as a JWK (no kid yet). */
    record Version(int number, Instant created, JWK publicKey) {
        @Override
        public String toString() {
            return "v" + number;
        }
    }

    TransitKeyInfo {
        versions = List.copyOf(versions);
    }

    /** The lowest version that may sign: Vault refuses {@code key_version} below either minimum. */
    int minSigningVersion() {
        return Math.max(minDecryptionVersion, minEncryptionVersion);
    }

    /**
     * Parses the {@code data} of the answer.
     *
     * @param origin names the key and the Vault address, for messages
     */
    static TransitKeyInfo parse(JsonNode data, String origin) throws CiJwtException {
        String type = data.path("type").asText("");
        SigningAlgorithm alg = TYPES.get(type);
        if (alg == null) {
            throw new CiJwtException(ErrorCode.ALGORITHM_NOT_ALLOWED, origin + " has the type '" + type
                    + "', which ci-jwt does not sign with (use ed25519 for EdDSA, ecdsa-p256 for ES256,"
                    + " or rsa-2048, rsa-3072 or rsa-4096 for RS256)");
        }
        if (data.path("derived").asBoolean(false)) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, origin + " is a derived key (each signature"
                    + " would need a context and have its own public key); create it without derived=true");
        }
        int latest = data.path("latest_version").asInt(0);
        int minDecryption = data.path("min_decryption_version").asInt(1);
        int minEncryption = data.path("min_encryption_version").asInt(0);
        List<Version> versions = new ArrayList<>();
        JsonNode keys = data.path("keys");
        for (Iterator<Map.Entry<String, JsonNode>> it = keys.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int number;
            try {
                number = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw malformed(origin, "names a version '" + e.getKey() + "'");
            }
            if (number < minDecryption) {
                continue;
            }
            versions.add(new Version(number, created(e.getValue(), number, origin),
                    publicKey(e.getValue(), alg, number, origin)));
        }
        if (versions.isEmpty()) {
            throw malformed(origin, "lists no version with a public key");
        }
        versions.sort(Comparator.comparingInt(Version::number));
        return new TransitKeyInfo(type, alg, latest, minDecryption, minEncryption, versions);
    }

    private static Instant created(JsonNode version, int number, String origin) throws CiJwtException {
        try {
            return Instant.parse(version.path("creation_time").asText(""));
        } catch (DateTimeParseException e) {
            throw malformed(origin, "gives version " + number + " no creation_time");
        }
    }

    private static JWK publicKey(JsonNode version, SigningAlgorithm alg, int number, String origin)
            throws CiJwtException {
        String text = version.path("public_key").asText("");
        String at = origin + " version " + number;
        if (text.isEmpty()) {
            throw malformed(origin, "gives version " + number + " no public_key");
        }
        JWK jwk;
        if (alg == SigningAlgorithm.EdDSA) {
            byte[] raw;
            try {
                raw = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw malformed(origin, "gives version " + number + " an ed25519 public_key that is not base64");
            }
            if (raw.length != 32) {
                throw malformed(origin, "gives version " + number + " an ed25519 public_key of " + raw.length + " bytes");
            }
            jwk = new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(raw)).build();
        } else {
            List<JWK> parsed = KeyCodec.parsePem(text, at);
            if (parsed.size() != 1 || parsed.get(0).isPrivate()) {
                throw malformed(origin, "gives version " + number + " a public_key that is not one public key");
            }
            jwk = parsed.get(0);
        }
        SigningAlgorithm actual = SigningAlgorithm.forKey(jwk, at);
        if (actual != alg) {
            throw malformed(origin, "gives version " + number + " a " + actual + " key, not the " + alg + " its type says");
        }
        return jwk;
    }

    private static CiJwtException malformed(String origin, String what) {
        return new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, origin + ": Vault's answer " + what);
    }
}
