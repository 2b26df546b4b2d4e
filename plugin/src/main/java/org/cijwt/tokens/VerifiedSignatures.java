package org.cijwt.tokens;

import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;

/**
 * Remembers which tokens already passed the signature check against one key-ring snapshot, so a
 * relying party that introspects the same token on every call pays for the signature once (as
 * the Kubernetes API server caches token reviews). Time, issuer and audience are still checked
 * on every call by the verifier.
 *
 * <p>Entries are keyed by the SHA-256 of the token, so the cache never holds a bearer token, and
 * belong to the {@link KeyRing} instance they were verified with: a reload (a key unpinned or
 * retired) makes every older entry miss. The size is bounded; when full, expired entries go
 * first and then everything.
 */
final class VerifiedSignatures {
    record Entry(KeyRing ring, JWTClaimsSet claims, String kid, SigningAlgorithm algorithm, Instant expiresAt) {
    }

    private final int capacity;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    VerifiedSignatures(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
    }

    static String key(String token) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
            return java.util.Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    Entry get(String key, KeyRing ring) {
        Entry e = entries.get(key);
        return e != null && e.ring() == ring ? e : null;
    }

    void put(String key, Entry entry, Instant now) {
        if (entries.size() >= capacity) {
            entries.values().removeIf(e -> !e.expiresAt().isAfter(now) || e.ring() != entry.ring());
            if (entries.size() >= capacity) {
                entries.clear();
            }
        }
        entries.put(key, entry);
    }

    int size() {
        return entries.size();
    }
}
