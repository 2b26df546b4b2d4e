package org.cijwt.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.cijwt.claims.ClaimNames;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;

/**
 * The JWKS and discovery bytes of the current key ring, made once per ring: requests only
 * compare a reference and write a ready buffer.
 */
final class PublishedDocuments {

    /** What is served for one key ring. */
    record Snapshot(KeyRing ring, Buffer jwks, String etag, Buffer discovery) {
    }

    private final Supplier<KeyRing> keys;
    private final String issuer;
    private volatile Snapshot current;

    PublishedDocuments(Supplier<KeyRing> keys, String issuer) {
        this.keys = keys;
        this.issuer = issuer;
    }

    Snapshot current() {
        KeyRing ring = keys.get();
        Snapshot s = current;
        if (s == null || s.ring() != ring) {
            // Two event loops may both rebuild after a reload; both results are equal, so no lock.
            s = new Snapshot(ring, Buffer.buffer(ring.publicJwksJson()), etagOf(ring.publicJwksJson()), discovery(ring));
            current = s;
        }
        return s;
    }

    /** A strong ETag of a JWKS document, quoted as HTTP wants it: the first 128 bits of its SHA-256. */
    static String etagOf(String jwksJson) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(jwksJson.getBytes(StandardCharsets.UTF_8));
            return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private Buffer discovery(KeyRing ring) {
        // Every algorithm a published key accepts, the signer's first: tokens signed elsewhere with a
        // verification key (a worker's own key, a key being retired) are valid too, and relying parties
        // such as go-oidc (Fulcio, step-ca) refuse a token whose alg discovery does not list.
        Set<String> names = new LinkedHashSet<>();
        for (SigningAlgorithm a : ring.signingAlgorithms()) {
            names.add(a.jwaName());
        }
        ring.publishedKeys().forEach(k -> names.add(k.entry().algorithm().jwaName()));
        JsonArray algs = new JsonArray(List.copyOf(names));
        JsonObject doc = new JsonObject()
                .put("issuer", issuer)
                .put("jwks_uri", issuer + Endpoints.JWKS)
                .put("introspection_endpoint", issuer + Endpoints.INTROSPECT)
                .put("id_token_signing_alg_values_supported", algs)
                .put("response_types_supported", new JsonArray().add("id_token"))
                .put("subject_types_supported", new JsonArray().add("public"))
                .put("scopes_supported", new JsonArray().add("openid"))
                .put("claims_supported", new JsonArray(ClaimNames.ALL));
        return doc.toBuffer();
    }
}
