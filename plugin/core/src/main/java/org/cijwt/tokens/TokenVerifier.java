package org.cijwt.tokens;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.cijwt.errors.Printable;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing.PublishedKey;
import org.cijwt.keys.KeyRing;

/**
 * Verifies tokens against a key ring only: the algorithm must be on the allow-list and match the
 * key's type, the key is chosen by {@code kid} from the ring (never from a {@code jwk},
 * {@code jku}, {@code x5u} or {@code x5c} header), then issuer, expiry, not-before and audience
 * are checked with a clock-skew leeway.
 */
public final class TokenVerifier {
    public static final Duration DEFAULT_LEEWAY = Duration.ofSeconds(60);
    /** Far above any token we mint; bounds the work a hostile caller can ask for. */
    public static final int MAX_TOKEN_LENGTH = 16 * 1024;
    private static final int MAX_KNOWN_HEADERS = 64;
    private static final Base64.Decoder URL_DECODER = Base64.getUrlDecoder();
    private static final ObjectReader CLAIMS_JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build().readerFor(new TypeReference<Map<String, Object>>() { });

    private final Supplier<KeyRing> keys;
    private final String issuer;
    private final List<String> audiences;
    private final Duration leeway;
    private final Clock clock;
    private final VerifiedSignatures verified;
    /**
     * Headers of tokens whose signature verified, by their base64url text: a signer sends the same
     * header on every token, so it is parsed once. Only verified tokens add to it, and it never
     * holds more than {@link #MAX_KNOWN_HEADERS} (it starts afresh when full), so nothing a caller
     * sends can grow it.
     */
    private final Map<String, JWSHeader> headers = new ConcurrentHashMap<>();

    /**
     * @param issuer the only accepted {@code iss}, compared byte for byte
     * @param audiences accepted audiences; when empty, every call must name the audience it
     *     expects, and a token checked against no audience at all is rejected
     */
    public TokenVerifier(Supplier<KeyRing> keys, String issuer, List<String> audiences, Duration leeway, Clock clock) {
        this(keys, issuer, audiences, leeway, clock, 0);
    }

    /**
     * A verifier that remembers up to {@code cacheSize} tokens whose signature it has checked
     * against the current key ring (0 turns that off); see {@link VerifiedSignatures}.
     */
    public TokenVerifier(Supplier<KeyRing> keys, String issuer, List<String> audiences, Duration leeway, Clock clock,
                         int cacheSize) {
        this(keys, issuer, audiences, leeway, clock, cacheSize > 0 ? new VerifiedSignatures(cacheSize) : null);
    }

    TokenVerifier(Supplier<KeyRing> keys, String issuer, List<String> audiences, Duration leeway, Clock clock,
                  VerifiedSignatures cache) {
        this.keys = keys;
        this.issuer = issuer;
        this.audiences = List.copyOf(audiences);
        this.leeway = leeway;
        this.clock = clock;
        this.verified = cache;
    }

    /** How often the verified-signature cache answered; both zero when the cache is off. */
    public record CacheStats(long hits, long misses) {
    }

    /** The verified-signature cache's counts since start. */
    public CacheStats cacheStats() {
        return verified == null ? new CacheStats(0, 0) : verified.stats();
    }

    /** The audiences checked when a call names none; empty means every call must name one. */
    public List<String> audiences() {
        return audiences;
    }

    public Verification verify(String token) {
        return verify(token, null);
    }

    /**
     * Verifies; a non-null {@code audience} replaces the configured audiences for this call. The
     * token must be exactly as issued: canonical base64url in all three parts, no whitespace.
     */
    public Verification verify(String token, String audience) {
        if (token == null || token.isEmpty()) {
            return reject(Rejection.MALFORMED, "no token given");
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            return reject(Rejection.MALFORMED, "token is longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        // Before anything else, so that every later step (the cache above all) sees one spelling per token.
        Optional<String> defect = CanonicalCompact.defect(token);
        if (defect.isPresent()) {
            return reject(Rejection.MALFORMED, defect.get());
        }
        KeyRing ring = keys.get();
        String cacheKey = null;
        if (verified != null) {
            cacheKey = VerifiedSignatures.key(token);
            VerifiedSignatures.Entry hit = verified.get(cacheKey, ring, clock.instant());
            if (hit != null) {
                // Parsed again: these bytes verified before, and the cache keeps them small.
                JWTClaimsSet cached;
                try {
                    cached = parseClaims(hit.claimsJson());
                } catch (ParseException | IOException e) {
                    return reject(Rejection.MALFORMED, "the token cannot be parsed as a signed JWT with a JSON claims set");
                }
                return checkClaims(cached, hit.claimsJson(), hit.kid(), hit.algorithm(), audience);
            }
        }
        int dot1 = token.indexOf('.');
        int dot2 = token.indexOf('.', dot1 + 1);
        // The header: one per signing key in practice, so a header already seen on a token that
        // verified is not parsed again. Only a header Nimbus refuses as a JWS header (alg "none",
        // say) has its raw JSON read again, so that "none" is reported by name, not as malformed.
        String encodedHeader = token.substring(0, dot1);
        JWSHeader header = headers.get(encodedHeader);
        if (header == null) {
            try {
                header = JWSHeader.parse(new Base64URL(encodedHeader));
            } catch (ParseException e) {
                return rejectUnparsable(encodedHeader);
            }
        }
        // The algorithm is checked before the claims are even read, so HMAC is refused by name.
        JWSAlgorithm alg = header.getAlgorithm();
        Optional<SigningAlgorithm> allowed = SigningAlgorithm.ofHeader(alg);
        if (allowed.isEmpty()) {
            return notAllowed(alg.getName());
        }
        JWTClaimsSet claims;
        byte[] claimsJson;
        try {
            // The JDK's base64url decoder and Jackson: several times faster than Nimbus's decoder
            // and its Gson, and as strict (the token is canonical base64url; one JSON object, no
            // member twice, nothing after it).
            claimsJson = URL_DECODER.decode(token.substring(dot1 + 1, dot2));
            claims = parseClaims(claimsJson);
        } catch (ParseException | IOException | IllegalArgumentException e) {
            return reject(Rejection.MALFORMED, "the token cannot be parsed as a signed JWT with a JSON claims set");
        }
        SignedParts jwt = new SignedParts(header, token.substring(0, dot2).getBytes(StandardCharsets.US_ASCII),
                new Base64URL(token.substring(dot2 + 1)));
        PublishedKey key;
        String kid = header.getKeyID();
        if (kid != null) {
            Optional<PublishedKey> k = ring.publishedKey(kid);
            if (k.isEmpty()) {
                return reject(Rejection.UNKNOWN_KID, "no published key has kid " + Printable.quoted(kid));
            }
            key = k.get();
            if (key.entry().algorithm() != allowed.get()) {
                return reject(Rejection.ALGORITHM_NOT_ALLOWED, "key " + Printable.quoted(kid) + " is an "
                        + key.entry().algorithm() + " key, but the token says " + alg);
            }
            if (!verifies(key, jwt)) {
                return reject(Rejection.BAD_SIGNATURE, "the signature does not verify with key " + Printable.quoted(kid));
            }
        } else {
            // Without a kid, try only the keys of the token's algorithm, never a key it carries.
            List<PublishedKey> candidates = ring.publishedKeys().stream()
                    .filter(k -> k.entry().algorithm() == allowed.get()).toList();
            if (candidates.isEmpty()) {
                return reject(Rejection.UNKNOWN_KID, "the token has no kid and no published key is " + alg);
            }
            key = candidates.stream().filter(k -> verifies(k, jwt)).findFirst().orElse(null);
            if (key == null) {
                return reject(Rejection.BAD_SIGNATURE, "the token has no kid and no published " + alg + " key verifies it");
            }
        }
        // Stored only now, after the signature verified: nothing that failed can take a place.
        if (!headers.containsKey(encodedHeader)) {
            if (headers.size() >= MAX_KNOWN_HEADERS) {
                // Keys rotated past the bound (each key version signs with its own kid): start again
                // with the headers in use now rather than keep the retired ones for good.
                headers.clear();
            }
            headers.putIfAbsent(encodedHeader, header);
        }
        if (verified != null && claims.getExpirationTime() != null) {
            Instant until = claims.getExpirationTime().toInstant().plus(leeway);
            if (clock.instant().isBefore(until)) {
                verified.put(cacheKey, new VerifiedSignatures.Entry(ring, claimsJson, key.entry().kid(), key.entry().algorithm(), until));
            }
        }
        return checkClaims(claims, claimsJson, key.entry().kid(), key.entry().algorithm(), audience);
    }

    private static JWTClaimsSet parseClaims(byte[] json) throws ParseException, IOException {
        Map<String, Object> members = CLAIMS_JSON.readValue(json);
        if (members == null) {
            throw new ParseException("the claims are JSON null", 0);
        }
        return JWTClaimsSet.parse(members);
    }

    /** How many token headers are kept parsed; for tests. */
    int knownHeaderCount() {
        return headers.size();
    }

    /** Whether the header of {@code token} is kept parsed; for tests. */
    boolean knowsHeaderOf(String token) {
        return headers.containsKey(token.substring(0, token.indexOf('.')));
    }

    private static Verification rejectUnparsable(String encodedHeader) {
        String alg;
        try {
            Map<String, Object> header = JSONObjectUtils.parse(new Base64URL(encodedHeader).decodeToString());
            alg = JSONObjectUtils.getString(header, "alg");
        } catch (ParseException | RuntimeException e) {
            return reject(Rejection.MALFORMED, "the header is not base64url-encoded JSON");
        }
        if (alg == null) {
            return reject(Rejection.MALFORMED, "the header has no alg");
        }
        if (SigningAlgorithm.ofHeader(JWSAlgorithm.parse(alg)).isEmpty()) {
            return notAllowed(alg);
        }
        return reject(Rejection.MALFORMED, "the token cannot be parsed as a signed JWT");
    }

    private static Verification notAllowed(String alg) {
        return reject(Rejection.ALGORITHM_NOT_ALLOWED, "algorithm " + Printable.quoted(alg) + " is not allowed (allowed: EdDSA, ES256, RS256)");
    }

    /** A token split once: its parsed header, the bytes it signs, and the signature as sent. */
    private record SignedParts(JWSHeader header, byte[] signingInput, Base64URL signature) {
    }

    private static boolean verifies(PublishedKey key, SignedParts jwt) {
        try {
            return key.verifier().verify(jwt.header(), jwt.signingInput(), jwt.signature());
        } catch (JOSEException | IllegalStateException e) {
            return false;
        }
    }

    private Verification checkClaims(JWTClaimsSet claims, byte[] claimsJson, String kid, SigningAlgorithm algorithm, String audience) {
        if (!issuer.equals(claims.getIssuer())) {
            return reject(Rejection.WRONG_ISSUER, "issuer " + quote(claims.getIssuer()) + " is not " + quote(issuer));
        }
        Instant now = clock.instant();
        if (claims.getExpirationTime() == null) {
            return reject(Rejection.MALFORMED, "the token has no exp");
        }
        Instant exp = claims.getExpirationTime().toInstant();
        if (!now.isBefore(exp.plus(leeway))) {
            return reject(Rejection.EXPIRED, "expired at " + exp + " (" + ago(Duration.between(exp, now)) + " ago)");
        }
        if (claims.getNotBeforeTime() != null) {
            Instant nbf = claims.getNotBeforeTime().toInstant();
            if (now.plus(leeway).isBefore(nbf)) {
                return reject(Rejection.NOT_YET_VALID, "not valid before " + nbf);
            }
        }
        List<String> expected = audience != null ? List.of(audience) : audiences;
        if (expected.isEmpty()) {
            // A token for some other relying party must not pass for lack of a setting.
            return reject(Rejection.WRONG_AUDIENCE, "no audience to check the token against: none configured and none asked for");
        }
        List<String> aud = claims.getAudience();
        if (aud.stream().noneMatch(expected::contains)) {
            return reject(Rejection.WRONG_AUDIENCE, "audience " + printable(aud) + " does not include "
                    + String.join(" or ", expected.stream().map(Printable::quoted).toList()));
        }
        return new Verification.Accepted(claims, claimsJson, kid, algorithm);
    }

    private static String quote(String s) {
        return Printable.quoted(s);
    }

    private static String printable(List<String> values) {
        return values.stream().map(Printable::quoted).toList().toString();
    }

    private static String ago(Duration d) {
        long s = d.getSeconds();
        return s >= 3600 ? s / 3600 + "h" + (s % 3600) / 60 + "m" : s >= 60 ? s / 60 + "m" + s % 60 + "s" : s + "s";
    }

    private static Verification reject(Rejection reason, String detail) {
        return new Verification.Rejected(reason, detail);
    }
}
