package org.cijwt.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKSet;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestJwts;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.testkit.TestKeyRings;
import org.cijwt.testkit.TestPolicies;
import org.cijwt.testkit.TestTokens;
import org.junit.jupiter.api.Test;

/** The cache of verified signatures, with the committed TEST keys: what it keeps, for how long, and what never enters it. */
class VerifiedSignaturesTest {
    private static final String ISSUER = TestPolicies.ISSUER;
    private static final String AUDIENCE = TestPolicies.AUDIENCE;
    private static final KeyRing SIGNING = TestKeyRings.signing();
    private static final KeyRing PUBLISHED = TestKeyRings.published();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));

    /** An EdDSA token ci-jwt mints for the sample build at the test clock's now. */
    private String mint(String audience) {
        return TestTokens.mint(SIGNING, clock, TestPolicies.policy(ISSUER, audience, SigningAlgorithm.EdDSA)).compact();
    }

    @Test
    void verifyWhenCachedThenTimeAndAudienceAreStillCheckedEveryCall() throws Exception {
        TokenVerifier v = new TokenVerifier(() -> PUBLISHED, ISSUER, List.of(AUDIENCE), Duration.ZERO, clock, 100);
        String token = mint(AUDIENCE);
        assertThat(v.verify(token).active()).isTrue();
        assertThat(v.verify(token).active()).as("served from the cache").isTrue();
        assertThat(((Verification.Rejected) v.verify(token, "aws")).reason()).isEqualTo(Rejection.WRONG_AUDIENCE);
        clock.advance(TestPolicies.TTL);
        assertThat(((Verification.Rejected) v.verify(token)).reason()).isEqualTo(Rejection.EXPIRED);
    }

    @Test
    void verifyWhenKeyRingReloadsWithoutTheKeyThenTheCachedTokenIsRejected() throws Exception {
        // After the reload the EdDSA key that signed the token is gone; the other committed keys stay.
        KeyRing rotated = VerificationKeySource.fromJwks(new JWKSet(List.of(TestKeys.publicJwk(TestKeys.Alg.ES256),
                TestKeys.publicJwk(TestKeys.Alg.RS256))).toString(), "the committed keys without test-eddsa");
        AtomicReference<KeyRing> current = new AtomicReference<>(PUBLISHED);
        TokenVerifier v = new TokenVerifier(current::get, ISSUER, List.of(AUDIENCE), Duration.ZERO, clock, 100);
        String token = mint(AUDIENCE);
        assertThat(v.verify(token).active()).isTrue();
        current.set(rotated);
        assertThat(((Verification.Rejected) v.verify(token)).reason()).isEqualTo(Rejection.UNKNOWN_KID);
    }

    @Test
    void verifyWhenTamperedCopyOfACachedTokenThenStillBadSignature() throws Exception {
        TokenVerifier v = new TokenVerifier(() -> PUBLISHED, ISSUER, List.of(AUDIENCE), Duration.ZERO, clock, 100);
        String token = mint(AUDIENCE);
        assertThat(v.verify(token).active()).isTrue();
        String tampered = TestJwts.tamperSignature(token);
        assertThat(((Verification.Rejected) v.verify(tampered)).reason()).isEqualTo(Rejection.BAD_SIGNATURE);
    }

    @Test
    void putWhenFullThenTheCacheStaysWithinItsCapacityAndHoldsNoToken() throws Exception {
        VerifiedSignatures cache = new VerifiedSignatures(3);
        for (int i = 0; i < 10; i++) {
            String token = mint("aud-" + i);
            String key = VerifiedSignatures.key(token);
            assertThat(key).doesNotContain(token.substring(0, 20)).hasSize(43);
            cache.put(key, new VerifiedSignatures.Entry(SIGNING, new byte[0], "k", SigningAlgorithm.EdDSA,
                    clock.instant().plusSeconds(60)));
            assertThat(cache.size()).isLessThanOrEqualTo(3);
        }
    }

    @Test
    void putWhenFloodedWithOneOffTokensThenTheTokensAskedAboutAgainStay() throws Exception {
        // The server's default size, full, as a busy server's is (Caffeine starts counting how often
        // keys are asked for once the cache is half full).
        VerifiedSignatures cache = new VerifiedSignatures(10_000);
        Instant until = clock.instant().plusSeconds(60);
        for (int i = 0; i < 10_000; i++) {
            String earlier = "earlier-" + i;
            cache.put(earlier, new VerifiedSignatures.Entry(SIGNING, new byte[0], earlier, SigningAlgorithm.EdDSA, until));
        }
        List<String> hot = List.of("hot-1", "hot-2", "hot-3");
        for (String k : hot) {
            cache.put(k, new VerifiedSignatures.Entry(SIGNING, new byte[0], k, SigningAlgorithm.EdDSA, until));
            for (int i = 0; i < 5; i++) {
                assertThat(cache.get(k, SIGNING, clock.instant())).isNotNull();
            }
        }
        for (int i = 0; i < 50_000; i++) {
            String once = "once-" + i;
            cache.put(once, new VerifiedSignatures.Entry(SIGNING, new byte[0], once, SigningAlgorithm.EdDSA, until));
        }
        assertThat(cache.size()).isLessThanOrEqualTo(10_000);
        for (String k : hot) {
            assertThat(cache.contains(k)).as("%s, asked about six times, outlasts 50,000 one-off tokens", k).isTrue();
        }
        TokenVerifier.CacheStats stats = cache.stats();
        assertThat(stats.hits()).isEqualTo(15);
        assertThat(stats.misses()).isZero();
    }

    @Test
    void verifyWhenFloodedWithDistinctInvalidStringsThenTheValidEntryStaysCached() throws Exception {
        VerifiedSignatures cache = new VerifiedSignatures(2);
        TokenVerifier v = new TokenVerifier(() -> PUBLISHED, ISSUER, List.of(AUDIENCE), Duration.ZERO, clock, cache);
        String token = mint(AUDIENCE);
        assertThat(v.verify(token).active()).isTrue();
        String key = VerifiedSignatures.key(token);
        assertThat(cache.contains(key)).isTrue();

        // Respellings a lenient decoder reads as the same token, and canonical strings that do not verify.
        String[] p = token.split("\\.");
        Random random = new Random(1);
        for (int i = 0; i < 2_000; i++) {
            int at = 1 + random.nextInt(p[2].length() - 1);
            String variant = switch (i % 4) {
                case 0 -> p[0] + "." + p[1] + "." + p[2].substring(0, at) + "!".repeat(1 + i % 7) + p[2].substring(at);
                case 1 -> p[0] + "." + p[1] + "." + p[2] + "=".repeat(1 + i % 3) + "~".repeat(i % 5);
                case 2 -> p[0] + " ".repeat(1 + i % 9) + "." + p[1] + "." + p[2];
                default -> p[0] + "." + p[1] + "." + randomSignature(random, p[2].length());
            };
            assertThat(v.verify(variant).active()).as("variant %d", i).isFalse();
        }
        assertThat(cache.size()).as("nothing that failed took a place").isEqualTo(1);
        assertThat(cache.contains(key)).as("the valid token is still cached").isTrue();
        assertThat(v.verify(token).active()).isTrue();
    }

    @Test
    void verifyWhenEs256SignatureIsTheHighSTwinThenItIsNotServedFromTheCacheAsActive() throws Exception {
        // (r, n - s) verifies under textbook ECDSA; it must be refused (low-S only), and in no case
        // may it reach the cache or be answered from it. Passes once ES256 verification refuses high S.
        VerifiedSignatures cache = new VerifiedSignatures(100);
        TokenVerifier v = new TokenVerifier(() -> PUBLISHED, ISSUER, List.of(AUDIENCE), Duration.ZERO, clock, cache);
        String token = TestTokens.mint(SIGNING, clock, TestPolicies.policy(SigningAlgorithm.ES256)).compact();
        assertThat(v.verify(token).active()).isTrue();
        assertThat(v.verify(token).active()).as("served from the cache").isTrue();

        String twin = highSTwin(token);
        assertThat(twin).isNotEqualTo(token);
        assertThat(CanonicalCompact.defect(twin)).as("the twin is canonical base64url").isEmpty();
        Verification answer = v.verify(twin);
        assertThat(cache.contains(VerifiedSignatures.key(twin))).as("the twin never enters the cache").isFalse();
        assertThat(answer.active()).as("the twin is not active").isFalse();
        assertThat(((Verification.Rejected) answer).reason()).isEqualTo(Rejection.BAD_SIGNATURE);
        assertThat(v.verify(token).active()).as("the original is unaffected").isTrue();
    }

    private static final BigInteger P256_ORDER =
            new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

    /** The same token with s replaced by n - s: the other of the two ECDSA signatures of its input. */
    private static String highSTwin(String token) {
        String[] p = token.split("\\.");
        byte[] sig = Base64.getUrlDecoder().decode(p[2]);
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
        byte[] twinS = P256_ORDER.subtract(s).toByteArray();
        byte[] out = Arrays.copyOf(sig, 64);
        Arrays.fill(out, 32, 64, (byte) 0);
        int len = Math.min(32, twinS.length);
        System.arraycopy(twinS, twinS.length - len, out, 64 - len, len);
        return p[0] + "." + p[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    }

    private static String randomSignature(Random random, int length) {
        byte[] b = new byte[64];
        random.nextBytes(b);
        String sig = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        assertThat(sig).hasSize(length);
        return sig;
    }
}
