package org.cijwt.tokens;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
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
 * <p>The size is bounded by Caffeine's W-TinyLFU policy: a new entry takes a place only when it
 * has been asked about more often than the one it would evict. A stream of tokens introspected
 * once each (a scan, or many builds ending together) neither evicts the tokens relying parties
 * ask about again nor turns the whole cache over, which in a small heap means old-generation
 * garbage collections with every request waiting on them. Nothing a caller sends can empty the
 * cache, and since only verified tokens are stored, a flood of invalid strings cannot evict
 * anything at all.
 */
final class VerifiedSignatures {
    /**
     * What a verified token leaves behind: its claims as the JSON bytes it carried (a few hundred
     * bytes, against two to three kilobytes for the parsed claims, so a full cache stays small and its
     * turnover cheap for the garbage collector), the key that verified it and until when.
     */
    record Entry(KeyRing ring, byte[] claimsJson, String kid, SigningAlgorithm algorithm, Instant expiresAt) {
    }

    /** One digest per thread: every introspection computes a key, and no provider is looked up per call. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(VerifiedSignatures::sha256);
    private static final Base64.Encoder KEY_ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final Cache<String, Entry> entries;

    VerifiedSignatures(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        // Maintenance on the calling thread: no common-pool tasks, and a bound that holds when put returns.
        this.entries = Caffeine.newBuilder().maximumSize(capacity).executor(Runnable::run).recordStats().build();
    }

    /** The cache key of a token that passed {@link CanonicalCompact}: its SHA-256, base64url. */
    static String key(String canonicalToken) {
        byte[] digest = SHA256.get().digest(canonicalToken.getBytes(StandardCharsets.US_ASCII));
        return KEY_ENCODER.encodeToString(digest);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The entry verified with {@code ring} and not yet past its expiry; a stale entry is dropped. */
    Entry get(String key, KeyRing ring, Instant now) {
        Entry e = entries.getIfPresent(key);
        if (e == null) {
            return null;
        }
        if (e.ring() != ring || !now.isBefore(e.expiresAt())) {
            entries.asMap().remove(key, e);
            return null;
        }
        return e;
    }

    /** Stores a token whose signature verified; call it for nothing else. */
    void put(String key, Entry entry) {
        entries.put(key, entry);
    }

    boolean contains(String key) {
        return entries.asMap().containsKey(key);
    }

    int size() {
        entries.cleanUp();
        return (int) entries.estimatedSize();
    }

    /** Lookups answered from the cache and lookups that were not, since start. */
    TokenVerifier.CacheStats stats() {
        CacheStats s = entries.stats();
        return new TokenVerifier.CacheStats(s.hitCount(), s.missCount());
    }
}
