package org.cijwt.tokens;

import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;

/**
 * Remembers which tokens already passed the signature check against one key-ring snapshot, so a
 * relying party that introspects the same token on every call pays for the signature once (as
 * the Kubernetes API server caches token reviews). Time, issuer and audience are still checked
 * on every call by the verifier.
 *
 * <p>Entries are keyed by the SHA-256 of the token's canonical compact form, so the cache never
 * holds a bearer token, and a holder cannot vary the key: the verifier refuses every other
 * spelling of a token before it looks here ({@link CanonicalCompact}), and stores a token only
 * after its signature verified. An entry belongs to the {@link KeyRing} instance it was verified
 * with: a reload (a key unpinned or retired) makes every older entry miss.
 *
 * <p>The size is bounded by evicting the least recently used entry, one at a time; nothing a
 * caller sends can empty the cache, and since only verified tokens are stored, a flood of
 * invalid strings cannot evict anything at all.
 */
final class VerifiedSignatures {
    record Entry(KeyRing ring, JWTClaimsSet claims, String kid, SigningAlgorithm algorithm, Instant expiresAt) {
    }

    private final Map<String, Entry> entries;

    VerifiedSignatures(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The cache key of a token that passed {@link CanonicalCompact}: its SHA-256, base64url. */
    static String key(String canonicalToken) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonicalToken.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The entry verified with {@code ring} and not yet past its expiry; a stale entry is dropped. */
    synchronized Entry get(String key, KeyRing ring, Instant now) {
        Entry e = entries.get(key);
        if (e == null) {
            return null;
        }
        if (e.ring() != ring || !now.isBefore(e.expiresAt())) {
            entries.remove(key);
            return null;
        }
        return e;
    }

    /** Stores a token whose signature verified; call it for nothing else. */
    synchronized void put(String key, Entry entry) {
        entries.put(key, entry);
    }

    synchronized boolean contains(String key) {
        return entries.containsKey(key);
    }

    synchronized int size() {
        return entries.size();
    }
}
