package org.cijwt.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestJwts;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.testkit.TestKeyRings;
import org.cijwt.testkit.TestPolicies;
import org.cijwt.testkit.TestTokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The verifier against tokens ci-jwt mints with the committed TEST keys and tokens the fixtures
 * forge, verifying with what a relying party has: the published JWKS, nothing else.
 */
class TokenVerifierTest {
    private static final String ISSUER = TestPolicies.ISSUER;
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final KeyRing SIGNING = TestKeyRings.signing();
    private static final KeyRing PUBLISHED = TestKeyRings.published();

    private final MutableClock clock = new MutableClock(T0);

    /** A token ci-jwt mints for the sample build at the test clock's now. */
    private MintedToken mint(SigningAlgorithm alg) {
        return TestTokens.mint(SIGNING, clock, TestPolicies.policy(alg));
    }

    /** A token the fixtures build, issued at {@link #T0}. */
    private static TestJwts.Builder forged(TestKeys.Alg alg) {
        return TestJwts.jwt(alg).issuedAt(T0);
    }

    private TokenVerifier verifier() {
        return new TokenVerifier(() -> PUBLISHED, ISSUER, List.of(TestPolicies.AUDIENCE), TokenVerifier.DEFAULT_LEEWAY, clock);
    }

    private Rejection reason(String token) {
        Verification v = verifier().verify(token);
        assertThat(v).isInstanceOf(Verification.Rejected.class);
        Verification.Rejected r = (Verification.Rejected) v;
        assertThat(r.detail()).doesNotContain(token);
        return r.reason();
    }

    @ParameterizedTest
    @EnumSource(SigningAlgorithm.class)
    void verifyWhenFreshTokenOfEachAlgorithmThenAcceptedWithItsClaims(SigningAlgorithm alg) throws Exception {
        Verification v = verifier().verify(mint(alg).compact());
        assertThat(v).isInstanceOf(Verification.Accepted.class);
        Verification.Accepted a = (Verification.Accepted) v;
        assertThat(a.algorithm()).isEqualTo(alg);
        assertThat(a.claims().getStringClaim("pipeline")).isEqualTo("deploy");
        assertThat(a.kid()).isEqualTo(SIGNING.requireSigner(alg).kid());
    }

    @Test
    void verifyWhenExpiredBeyondLeewayThenExpired() throws Exception {
        String t = mint(SigningAlgorithm.ES256).compact();
        clock.advance(TestPolicies.TTL.plusSeconds(59));
        assertThat(verifier().verify(t).active()).as("inside the leeway").isTrue();
        clock.advance(Duration.ofSeconds(1));
        assertThat(reason(t)).isEqualTo(Rejection.EXPIRED);
    }

    @Test
    void verifyWhenNotYetValidBeyondLeewayThenNotYetValid() throws Exception {
        String t = mint(SigningAlgorithm.EdDSA).compact();
        clock.set(T0.minusSeconds(30 + 61));
        assertThat(reason(t)).isEqualTo(Rejection.NOT_YET_VALID);
    }

    @Test
    void verifyWhenAudienceOrIssuerDifferThenWrongAudienceOrIssuer() throws Exception {
        String t = mint(SigningAlgorithm.ES256).compact();
        assertThat(((Verification.Rejected) verifier().verify(t, "aws")).reason()).isEqualTo(Rejection.WRONG_AUDIENCE);
        TokenVerifier other = new TokenVerifier(() -> PUBLISHED, ISSUER + "/other", List.of(TestPolicies.AUDIENCE), Duration.ZERO, clock);
        assertThat(((Verification.Rejected) other.verify(t)).reason()).isEqualTo(Rejection.WRONG_ISSUER);
    }

    @Test
    void verifyWhenPayloadTamperedThenBadSignature() throws Exception {
        String[] p = mint(SigningAlgorithm.RS256).compact().split("\\.");
        String forged = Base64URL.encode(new String(new Base64URL(p[1]).decode(), StandardCharsets.UTF_8)
                .replace("\"deploy\"", "\"prod\"")).toString();
        assertThat(reason(p[0] + "." + forged + "." + p[2])).isEqualTo(Rejection.BAD_SIGNATURE);
    }

    @Test
    void verifyWhenAlgNoneThenAlgorithmNotAllowed() {
        assertThat(reason(forged(TestKeys.Alg.ES256).unsigned())).isEqualTo(Rejection.ALGORITHM_NOT_ALLOWED);
    }

    @Test
    void verifyWhenHmacSignedWithThePublicKeyThenAlgorithmNotAllowed() throws Exception {
        // The classic confusion attack: the RSA public key's bytes used as an HMAC secret.
        String kid = SIGNING.requireSigner(SigningAlgorithm.RS256).kid();
        byte[] secret = PUBLISHED.publishedKey(kid).orElseThrow().publicJwk().toJSONString().getBytes(StandardCharsets.UTF_8);
        assertThat(reason(forged(TestKeys.Alg.RS256).hmacSigned(secret))).isEqualTo(Rejection.ALGORITHM_NOT_ALLOWED);
    }

    @Test
    void verifyWhenHeaderCarriesTheAttackersOwnJwkThenItIsIgnored() throws Exception {
        ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID("attacker").generate();
        String withKid = TestJwts.jwt(attacker).issuedAt(T0).embeddedJwk(attacker).sign();
        assertThat(reason(withKid)).isEqualTo(Rejection.UNKNOWN_KID);
        String noKid = TestJwts.jwt(attacker).issuedAt(T0).withoutKid().embeddedJwk(attacker)
                .header("jku", "https://attacker.example/jwks").sign();
        assertThat(reason(noKid)).isEqualTo(Rejection.BAD_SIGNATURE);
    }

    @Test
    void verifyWhenHeaderAlgDoesNotMatchTheKeyThenAlgorithmNotAllowed() {
        // The ES256 key's kid and signature under a header that says RS256.
        assertThat(reason(forged(TestKeys.Alg.ES256).header("alg", "RS256").sign())).isEqualTo(Rejection.ALGORITHM_NOT_ALLOWED);
    }

    @Test
    void verifyWhenUnknownKidThenUnknownKid() {
        assertThat(reason(forged(TestKeys.Alg.ES256).kid("rotated-away").sign())).isEqualTo(Rejection.UNKNOWN_KID);
    }

    @Test
    void verifyWhenGarbageThenMalformed() {
        assertThat(reason("not-a-token")).isEqualTo(Rejection.MALFORMED);
        assertThat(reason("a.b.c")).isEqualTo(Rejection.MALFORMED);
        assertThat(reason("x".repeat(TokenVerifier.MAX_TOKEN_LENGTH + 1))).isEqualTo(Rejection.MALFORMED);
        assertThat(((Verification.Rejected) verifier().verify("")).reason()).isEqualTo(Rejection.MALFORMED);
    }

    @ParameterizedTest
    @EnumSource(SigningAlgorithm.class)
    void verifyWhenAnyPartIsSpelledNonCanonicallyThenMalformed(SigningAlgorithm alg) throws Exception {
        // Each of these decodes, with a lenient base64url decoder, to the very bytes of a valid token.
        String token = mint(alg).compact();
        assertThat(verifier().verify(token).active()).isTrue();
        String[] p = token.split("\\.");
        for (int part = 0; part < 3; part++) {
            List<String> respellings = respellings(p[part]);
            for (int i = 0; i < respellings.size(); i++) {
                String[] q = p.clone();
                q[part] = respellings.get(i);
                assertThat(reason(String.join(".", q))).as("part %d, respelling %d", part, i).isEqualTo(Rejection.MALFORMED);
            }
        }
        assertThat(reason(token + "\n")).as("a trailing newline").isEqualTo(Rejection.MALFORMED);
        assertThat(reason(" " + token)).as("a leading space").isEqualTo(Rejection.MALFORMED);
    }

    /** Spellings of one base64url segment that lenient decoders read as the same bytes. */
    private static List<String> respellings(String segment) {
        List<String> out = new java.util.ArrayList<>();
        int mid = segment.length() / 2;
        for (String junk : List.of("!!!", "~", "\u00e9", " ", "+", "/", "\t", "*")) {
            out.add(segment.substring(0, mid) + junk + segment.substring(mid));
            out.add(segment + junk);
        }
        out.add(segment + "=");
        out.add(segment + "==");
        int rem = segment.length() % 4;
        if (rem != 0) {
            // The last character carries 4 (rem 2) or 2 (rem 3) unused bits: set the lowest one.
            char last = segment.charAt(segment.length() - 1);
            String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            char flipped = alphabet.charAt(alphabet.indexOf(last) | 1);
            out.add(segment.substring(0, segment.length() - 1) + flipped);
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(SigningAlgorithm.class)
    void verifyWhenTheTokenStringIsChangedAnywhereThenItIsNeverActive(SigningAlgorithm alg) throws Exception {
        // Property: only the exact string that was signed verifies; a deny-list keyed on its hash holds.
        String token = mint(alg).compact();
        java.util.Random random = new java.util.Random(alg.ordinal());
        String chars = "Aa0-_=.+/ ~!\u00e9\n";
        TokenVerifier v = verifier();
        for (int i = 0; i < 3_000; i++) {
            int at = random.nextInt(token.length() + 1);
            char c = chars.charAt(random.nextInt(chars.length()));
            String variant = switch (random.nextInt(3)) {
                case 0 -> token.substring(0, at) + c + token.substring(at);
                case 1 -> at == token.length() ? token + c : token.substring(0, at) + c + token.substring(at + 1);
                default -> at == token.length() ? token.substring(0, at - 1) : token.substring(0, at) + token.substring(at + 1);
            };
            if (!variant.equals(token)) {
                assertThat(v.verify(variant).active()).as("variant %d", i).isFalse();
            }
        }
    }

    @Test
    void verifyWhenNoAudienceIsConfiguredNorAskedForThenWrongAudience() throws Exception {
        TokenVerifier anyAudience = new TokenVerifier(() -> PUBLISHED, ISSUER, List.of(), TokenVerifier.DEFAULT_LEEWAY, clock);
        String token = mint(SigningAlgorithm.EdDSA).compact();
        Verification v = anyAudience.verify(token);
        assertThat(v).isInstanceOf(Verification.Rejected.class);
        assertThat(((Verification.Rejected) v).reason()).isEqualTo(Rejection.WRONG_AUDIENCE);
        assertThat(((Verification.Rejected) v).detail()).contains("no audience to check");
        assertThat(anyAudience.verify(token, TestPolicies.AUDIENCE).active()).as("an audience asked for per call").isTrue();
    }

    @Test
    void verifyWhenHeaderValuesHoldControlCharactersThenTheDetailShowsThemEscaped() {
        String evilKid = "\u001b[2J\u001b[31mkid\nINFO accepted token\u202e\u009b";
        Verification.Rejected r = (Verification.Rejected) verifier().verify(forged(TestKeys.Alg.ES256).kid(evilKid).sign());
        assertThat(r.reason()).isEqualTo(Rejection.UNKNOWN_KID);
        assertThat(r.detail()).contains("\\u001B[2J").contains("\\u000A").contains("\\u202E").contains("\\u009B");
        assertThat(r.detail().chars().filter(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x202e)).isEmpty();

        String evilAlg = forged(TestKeys.Alg.ES256).withoutKid().header("alg", "HS256\u001b]0;pwned\u0007").sign();
        Verification.Rejected alg = (Verification.Rejected) verifier().verify(evilAlg);
        assertThat(alg.reason()).isEqualTo(Rejection.ALGORITHM_NOT_ALLOWED);
        assertThat(alg.detail()).contains("\\u001B]0;pwned\\u0007").doesNotContain("\u001b");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"aud\":\"other\",\"aud\":\"vault\"}",
        "{\"aud\":\"vault\"} {}",
        "{\"aud\":\"vault\"}garbage",
        "[{\"aud\":\"vault\"}]",
        "null",
        "",
        "\"vault\""})
    void verifyWhenTheSignedPayloadIsNotExactlyOneJsonObjectThenMalformed(String payload) {
        String valid = forged(TestKeys.Alg.ES256).sign();
        Map<String, Object> claims = new LinkedHashMap<>(TestJwts.claims(valid));
        claims.remove("aud");
        String json = JSONObjectUtils.toJSONString(claims);
        String mixed = payload.startsWith("{") ? json.substring(0, json.length() - 1) + "," + payload.substring(1) : payload;
        assertThat(reason(forged(TestKeys.Alg.ES256).signRawPayload(mixed))).isEqualTo(Rejection.MALFORMED);
    }

    @Test
    void verifyWhenAHeaderWasSeenOnAValidTokenThenATamperedTokenWithItStillFails() throws Exception {
        TokenVerifier verifier = verifier();
        String valid = mint(SigningAlgorithm.ES256).compact();
        assertThat(verifier.verify(valid).active()).isTrue();
        assertThat(verifier.knownHeaderCount()).isEqualTo(1);
        Verification tampered = verifier.verify(TestJwts.tamperSignature(valid));
        assertThat(tampered).isInstanceOf(Verification.Rejected.class);
        assertThat(((Verification.Rejected) tampered).reason()).isEqualTo(Rejection.BAD_SIGNATURE);
        assertThat(verifier.verify(valid).active()).isTrue();
    }

    @Test
    void verifyWhenFloodedWithDistinctHeadersThenOnlyVerifiedOnesAreKeptAndNeverMoreThanTheBound() {
        TokenVerifier verifier = verifier();
        for (int i = 0; i < 500; i++) {
            String forgedHeader = TestJwts.tamperSignature(forged(TestKeys.Alg.ES256).header("n", i).sign());
            assertThat(verifier.verify(forgedHeader).active()).isFalse();
        }
        assertThat(verifier.knownHeaderCount()).as("headers of tokens that failed").isZero();
        for (int i = 0; i < 200; i++) {
            assertThat(verifier.verify(forged(TestKeys.Alg.EdDSA).header("n", i).sign()).active()).isTrue();
            assertThat(verifier.knownHeaderCount()).isBetween(1, 64);
        }
        // After rotations past the bound the headers in use now are kept again, not only the first 64.
        String current = forged(TestKeys.Alg.EdDSA).header("n", 199).sign();
        assertThat(verifier.knowsHeaderOf(current)).isTrue();
        int before = verifier.knownHeaderCount();
        assertThat(verifier.verify(current).active()).isTrue();
        assertThat(verifier.knownHeaderCount()).as("a header already kept adds nothing").isEqualTo(before);
    }

    @Test
    void mintedTokenToStringThenTheTokenIsRedacted() {
        MintedToken t = mint(SigningAlgorithm.EdDSA);
        assertThat(t.toString()).doesNotContain(t.compact()).contains("<redacted>");
    }

    @Test
    void mintWhenCalledTwiceThenJtiIs128RandomBitsAndUnique() throws Exception {
        String a = mint(SigningAlgorithm.EdDSA).jti();
        String b = mint(SigningAlgorithm.EdDSA).jti();
        assertThat(new Base64URL(a).decode()).hasSize(16);
        assertThat(a).isNotEqualTo(b).matches("[A-Za-z0-9_-]{22}");
    }
}
