package org.cijwt.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.EphemeralKeySource;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.VerificationKeySource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TokenVerifierTest {
    private static final String ISSUER = "https://ci.example.com";
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static KeyRing signing;
    private static KeyRing published;
    private static BuildMetadata md;

    private final MutableClock clock = new MutableClock(T0);

    @BeforeAll
    static void keys() throws Exception {
        signing = new EphemeralKeySource(Set.of(SigningAlgorithm.values())).load();
        // Verify with what a relying party has: the published JWKS, nothing else.
        published = VerificationKeySource.fromJwks(signing.publicJwksJson(), "jwks");
        md = BuildMetadata.fromJson(TestKeys.metadata("main"), "main");
    }

    private ClaimsPolicy policy(SigningAlgorithm alg) throws Exception {
        return ClaimsPolicy.builder().issuer(ISSUER).audience("vault").algorithm(alg).ttl(Duration.ofMinutes(10)).build();
    }

    private String mint(SigningAlgorithm alg) throws Exception {
        return new TokenMinter(() -> signing, clock).mint(md, policy(alg)).compact();
    }

    private TokenVerifier verifier() {
        return new TokenVerifier(() -> published, ISSUER, List.of("vault"), TokenVerifier.DEFAULT_LEEWAY, clock);
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
        Verification v = verifier().verify(mint(alg));
        assertThat(v).isInstanceOf(Verification.Accepted.class);
        Verification.Accepted a = (Verification.Accepted) v;
        assertThat(a.algorithm()).isEqualTo(alg);
        assertThat(a.claims().getStringClaim("pipeline")).isEqualTo("deploy");
        assertThat(a.kid()).isEqualTo(signing.requireSigner(alg).kid());
    }

    @Test
    void verifyWhenExpiredBeyondLeewayThenExpired() throws Exception {
        String t = mint(SigningAlgorithm.ES256);
        clock.advance(Duration.ofMinutes(10).plusSeconds(59));
        assertThat(verifier().verify(t).active()).as("inside the leeway").isTrue();
        clock.advance(Duration.ofSeconds(1));
        assertThat(reason(t)).isEqualTo(Rejection.EXPIRED);
    }

    @Test
    void verifyWhenNotYetValidBeyondLeewayThenNotYetValid() throws Exception {
        String t = mint(SigningAlgorithm.EdDSA);
        clock.set(T0.minusSeconds(30 + 61));
        assertThat(reason(t)).isEqualTo(Rejection.NOT_YET_VALID);
    }

    @Test
    void verifyWhenAudienceOrIssuerDifferThenWrongAudienceOrIssuer() throws Exception {
        String t = mint(SigningAlgorithm.ES256);
        assertThat(((Verification.Rejected) verifier().verify(t, "aws")).reason()).isEqualTo(Rejection.WRONG_AUDIENCE);
        TokenVerifier other = new TokenVerifier(() -> published, ISSUER + "/other", List.of("vault"), Duration.ZERO, clock);
        assertThat(((Verification.Rejected) other.verify(t)).reason()).isEqualTo(Rejection.WRONG_ISSUER);
    }

    @Test
    void verifyWhenPayloadTamperedThenBadSignature() throws Exception {
        String[] p = mint(SigningAlgorithm.RS256).split("\\.");
        String forged = Base64URL.encode(new String(new Base64URL(p[1]).decode(), StandardCharsets.UTF_8)
                .replace("\"deploy\"", "\"prod\"")).toString();
        assertThat(reason(p[0] + "." + forged + "." + p[2])).isEqualTo(Rejection.BAD_SIGNATURE);
    }

    @Test
    void verifyWhenAlgNoneThenAlgorithmNotAllowed() throws Exception {
        String[] p = mint(SigningAlgorithm.ES256).split("\\.");
        String none = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}").toString();
        assertThat(reason(none + "." + p[1] + ".")).isEqualTo(Rejection.ALGORITHM_NOT_ALLOWED);
    }

    @Test
    void verifyWhenHmacSignedWithThePublicKeyThenAlgorithmNotAllowed() throws Exception {
        // The classic confusion attack: the RSA public key's bytes used as an HMAC secret.
        String kid = signing.requireSigner(SigningAlgorithm.RS256).kid();
        byte[] secret = published.publishedKey(kid).orElseThrow().publicJwk().toJSONString().getBytes(StandardCharsets.UTF_8);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(), claims());
        jwt.sign(new MACSigner(secret));
        assertThat(reason(jwt.serialize())).isEqualTo(Rejection.ALGORITHM_NOT_ALLOWED);
    }

    @Test
    void verifyWhenHeaderCarriesTheAttackersOwnJwkThenItIsIgnored() throws Exception {
        ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID("attacker").generate();
        SignedJWT withKid = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).jwk(attacker.toPublicJWK()).keyID("attacker").build(), claims());
        withKid.sign(new com.nimbusds.jose.crypto.ECDSASigner(attacker));
        assertThat(reason(withKid.serialize())).isEqualTo(Rejection.UNKNOWN_KID);
        SignedJWT noKid = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).jwk(attacker.toPublicJWK())
                .jwkURL(java.net.URI.create("https://attacker.example/jwks")).build(), claims());
        noKid.sign(new com.nimbusds.jose.crypto.ECDSASigner(attacker));
        assertThat(reason(noKid.serialize())).isEqualTo(Rejection.BAD_SIGNATURE);
    }

    @Test
    void verifyWhenHeaderAlgDoesNotMatchTheKeyThenAlgorithmNotAllowed() throws Exception {
        String[] p = mint(SigningAlgorithm.ES256).split("\\.");
        String kid = signing.requireSigner(SigningAlgorithm.ES256).kid();
        String header = Base64URL.encode("{\"alg\":\"RS256\",\"kid\":\"" + kid + "\"}").toString();
        assertThat(reason(header + "." + p[1] + "." + p[2])).isEqualTo(Rejection.ALGORITHM_NOT_ALLOWED);
    }

    @Test
    void verifyWhenUnknownKidThenUnknownKid() throws Exception {
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID("rotated-away").generate();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).keyID("rotated-away").build(), claims());
        jwt.sign(new com.nimbusds.jose.crypto.ECDSASigner(other));
        assertThat(reason(jwt.serialize())).isEqualTo(Rejection.UNKNOWN_KID);
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
        String token = mint(alg);
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
        String token = mint(alg);
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
        TokenVerifier anyAudience = new TokenVerifier(() -> published, ISSUER, List.of(), TokenVerifier.DEFAULT_LEEWAY, clock);
        String token = mint(SigningAlgorithm.EdDSA);
        Verification v = anyAudience.verify(token);
        assertThat(v).isInstanceOf(Verification.Rejected.class);
        assertThat(((Verification.Rejected) v).reason()).isEqualTo(Rejection.WRONG_AUDIENCE);
        assertThat(((Verification.Rejected) v).detail()).contains("no audience to check");
        assertThat(anyAudience.verify(token, "vault").active()).as("an audience asked for per call").isTrue();
    }

    @Test
    void verifyWhenHeaderValuesHoldControlCharactersThenTheDetailShowsThemEscaped() throws Exception {
        String[] p = mint(SigningAlgorithm.ES256).split("\\.");
        String evilKid = "\u001b[2J\u001b[31mkid\nINFO accepted token\u202e\u009b";
        String header = Base64URL.encode("{\"alg\":\"ES256\",\"kid\":" + jsonString(evilKid) + "}").toString();
        Verification.Rejected r = (Verification.Rejected) verifier().verify(header + "." + p[1] + "." + p[2]);
        assertThat(r.reason()).isEqualTo(Rejection.UNKNOWN_KID);
        assertThat(r.detail()).contains("\\u001B[2J").contains("\\u000A").contains("\\u202E").contains("\\u009B");
        assertThat(r.detail().chars().filter(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x202e)).isEmpty();

        String evilAlg = Base64URL.encode("{\"alg\":" + jsonString("HS256\u001b]0;pwned\u0007") + "}").toString();
        Verification.Rejected alg = (Verification.Rejected) verifier().verify(evilAlg + "." + p[1] + "." + p[2]);
        assertThat(alg.reason()).isEqualTo(Rejection.ALGORITHM_NOT_ALLOWED);
        assertThat(alg.detail()).contains("\\u001B]0;pwned\\u0007").doesNotContain("\u001b");
    }

    private static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            sb.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return sb.append('"').toString();
    }

    @Test
    void mintedTokenToStringThenTheTokenIsRedacted() throws Exception {
        MintedToken t = new TokenMinter(() -> signing, clock).mint(md, policy(SigningAlgorithm.EdDSA));
        assertThat(t.toString()).doesNotContain(t.compact()).contains("<redacted>");
    }

    @Test
    void mintWhenCalledTwiceThenJtiIs128RandomBitsAndUnique() throws Exception {
        TokenMinter m = new TokenMinter(() -> signing, clock);
        String a = m.mint(md, policy(SigningAlgorithm.EdDSA)).jti();
        String b = m.mint(md, policy(SigningAlgorithm.EdDSA)).jti();
        assertThat(new Base64URL(a).decode()).hasSize(16);
        assertThat(a).isNotEqualTo(b).matches("[A-Za-z0-9_-]{22}");
    }

    private static JWTClaimsSet claims() {
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience("vault").subject("main/deploy")
                .expirationTime(java.util.Date.from(T0.plusSeconds(600))).build();
    }
}
