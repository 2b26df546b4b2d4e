package org.cijwt.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.JwsFactory;
import org.cijwt.jose.SigningAlgorithm;

/**
 * An immutable snapshot of the keys: at most one active signer per algorithm and every key that
 * is published and accepted. The public JWKS bytes and their ETag are computed once, here, so
 * serving them costs nothing per request.
 */
public final class KeyRing {
    private final Map<SigningAlgorithm, SigningKey> signers;
    private final Map<String, PublishedKey> published;
    private final String jwksJson;

    /** A published key and its verifier. */
    public record PublishedKey(KeyEntry entry, JWK publicJwk, JWSVerifier verifier) {
        @Override
        public String toString() {
            return "PublishedKey[" + entry.algorithm() + " kid=" + entry.kid() + "]";
        }
    }

    private KeyRing(Map<SigningAlgorithm, SigningKey> signers, Map<String, PublishedKey> published) {
        this.signers = Collections.unmodifiableMap(signers);
        this.published = Collections.unmodifiableMap(published);
        List<JWK> keys = new ArrayList<>();
        for (PublishedKey k : published.values()) {
            keys.add(k.publicJwk());
        }
        this.jwksJson = new JWKSet(keys).toString(true);
    }

    /**
     * Builds a ring. {@code signing} are the keys that sign, first per algorithm wins; every key
     * in {@code signing} and {@code verificationOnly} is published. Key ids must be unique.
     */
    public static KeyRing of(List<KeyEntry> signing, List<KeyEntry> verificationOnly, String origin)
            throws CiJwtException {
        Map<SigningAlgorithm, SigningKey> signers = new EnumMap<>(SigningAlgorithm.class);
        Map<String, PublishedKey> published = new LinkedHashMap<>();
        for (KeyEntry e : signing) {
            if (!signers.containsKey(e.algorithm())) {
                signers.put(e.algorithm(), SigningKey.of(e, origin));
            }
            publish(published, e, origin);
        }
        for (KeyEntry e : verificationOnly) {
            publish(published, e, origin);
        }
        return new KeyRing(signers, published);
    }

    /**
     * Builds a ring from signing keys made elsewhere (for example {@link SigningKey#remote}) and
     * the keys to publish, in the order given, so the JWKS does not change when another key starts
     * signing; a signer missing from {@code published} is published too. Key ids must be unique.
     */
    public static KeyRing ofSigners(List<SigningKey> signing, List<KeyEntry> published, String origin)
            throws CiJwtException {
        Map<SigningAlgorithm, SigningKey> signers = new EnumMap<>(SigningAlgorithm.class);
        Map<String, PublishedKey> keys = new LinkedHashMap<>();
        for (KeyEntry e : published) {
            publish(keys, e, origin);
        }
        for (SigningKey k : signing) {
            signers.putIfAbsent(k.algorithm(), k);
            publish(keys, k.entry(), origin);
        }
        return new KeyRing(signers, keys);
    }

    public static KeyRing empty() {
        return new KeyRing(new EnumMap<>(SigningAlgorithm.class), new LinkedHashMap<>());
    }

    private static void publish(Map<String, PublishedKey> published, KeyEntry e, String origin) throws CiJwtException {
        PublishedKey existing = published.get(e.kid());
        JWK pub = e.published();
        if (existing != null) {
            if (existing.publicJwk().equals(pub)) {
                return;
            }
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID,
                    origin + ": two different keys have the key id '" + e.kid() + "'");
        }
        try {
            published.put(e.kid(), new PublishedKey(e, pub, JwsFactory.verifier(e.algorithm(), pub)));
        } catch (JOSEException | RuntimeException ex) {
            // KeyEntry.of has validated the key; a provider that still refuses it must not escape as an internal error.
            throw new CiJwtException(ErrorCode.KEY_MALFORMED,
                    origin + ": key '" + e.kid() + "' cannot verify " + e.algorithm());
        }
    }

    /** This ring plus published keys of another (for example pinned verification-only keys). */
    public KeyRing withPublished(KeyRing other, String origin) throws CiJwtException {
        Map<String, PublishedKey> merged = new LinkedHashMap<>(published);
        for (PublishedKey k : other.published.values()) {
            publish(merged, k.entry(), origin);
        }
        Map<SigningAlgorithm, SigningKey> sameSigners = new EnumMap<>(SigningAlgorithm.class);
        sameSigners.putAll(signers);
        return new KeyRing(sameSigners, merged);
    }

    public Optional<SigningKey> signer(SigningAlgorithm alg) {
        return Optional.ofNullable(signers.get(alg));
    }

    public SigningKey requireSigner(SigningAlgorithm alg) throws CiJwtException {
        SigningKey key = signers.get(alg);
        if (key == null) {
            throw new CiJwtException(ErrorCode.KEY_NOT_FOUND, "the key ring has no " + alg + " signing key (it signs with: "
                    + (signers.isEmpty() ? "nothing" : signers.keySet()) + ")");
        }
        return key;
    }

    public Set<SigningAlgorithm> signingAlgorithms() {
        return signers.isEmpty() ? EnumSet.noneOf(SigningAlgorithm.class) : EnumSet.copyOf(signers.keySet());
    }

    public Optional<PublishedKey> publishedKey(String kid) {
        return Optional.ofNullable(published.get(kid));
    }

    public List<PublishedKey> publishedKeys() {
        return List.copyOf(published.values());
    }

    /** The public JWKS document: only public members, each key with kid, alg and use. */
    public String publicJwksJson() {
        return jwksJson;
    }

    public boolean isEmpty() {
        return published.isEmpty();
    }

    @Override
    public String toString() {
        return "KeyRing[signers=" + signers.values() + ", published=" + published.keySet() + "]";
    }
}
