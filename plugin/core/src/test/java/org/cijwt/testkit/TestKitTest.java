package org.cijwt.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.time.Clock;
import java.util.List;
import org.cijwt.fixtures.TestJwts;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.Rejection;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The plugin-level test kit against ci-jwt's own verifier: its ring signs with the committed keys,
 * its tokens and the fixtures' independently built ones verify from the public halves alone, and
 * each forged token is refused for the reason it was forged for.
 */
class TestKitTest {

    private static final TokenVerifier VERIFIER = new TokenVerifier(TestKeyRings::published, TestPolicies.ISSUER,
            List.of(TestPolicies.AUDIENCE), TokenVerifier.DEFAULT_LEEWAY, Clock.systemUTC());

    @Test
    void signingWhenLoadedThenOneSignerPerAlgorithmWithTheCommittedKidsAndNothingPrivatePublished() throws Exception {
        KeyRing ring = TestKeyRings.signing();

        assertThat(ring.signingAlgorithms()).containsExactlyInAnyOrder(SigningAlgorithm.values());
        for (SigningAlgorithm alg : SigningAlgorithm.values()) {
            assertThat(ring.signer(alg).orElseThrow().kid()).isEqualTo(TestKeys.Alg.valueOf(alg.name()).kid());
        }
        assertThat(ring.publicJwksJson()).doesNotContain("\"d\"");
        assertThat(TestKeyRings.published().signingAlgorithms()).isEmpty();
        assertThat(TestKeyRings.source().load()).isSameAs(ring);
    }

    @ParameterizedTest
    @EnumSource(SigningAlgorithm.class)
    void mintWhenEachAlgorithmThenThePublishedHalvesAloneVerifyIt(SigningAlgorithm alg) {
        MintedToken token = TestTokens.mint(alg);

        Verification verdict = VERIFIER.verify(token.compact());

        assertThat(verdict).as(verdict.toString()).isInstanceOf(Verification.Accepted.class);
        assertThat(((Verification.Accepted) verdict).claims().getClaim("team")).isEqualTo(TestBuilds.main().team());
        assertThat(token.kid()).isEqualTo(TestKeys.Alg.valueOf(alg.name()).kid());
    }

    @ParameterizedTest
    @EnumSource(TestKeys.Alg.class)
    void testJwtsWhenSignedByACommittedKeyThenCiJwtAcceptsTheIndependentToken(TestKeys.Alg alg) {
        Verification verdict = VERIFIER.verify(TestJwts.jwt(alg).sign());

        assertThat(verdict.active()).as(verdict.toString()).isTrue();
    }

    @Test
    void testJwtsWhenForgedThenCiJwtRefusesEachForTheReasonItWasForgedFor() throws Exception {
        ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID(TestKeys.Alg.ES256.kid()).generate();
        byte[] publicJwks = TestKeyRings.published().publicJwksJson().getBytes(UTF_8);

        assertRejected(TestJwts.jwt(TestKeys.Alg.EdDSA).unsigned(), Rejection.ALGORITHM_NOT_ALLOWED);
        assertRejected(TestJwts.jwt(TestKeys.Alg.RS256).hmacSigned(publicJwks), Rejection.ALGORITHM_NOT_ALLOWED);
        assertRejected(TestJwts.tamperSignature(TestJwts.jwt(TestKeys.Alg.ES256).sign()), Rejection.BAD_SIGNATURE);
        assertRejected(TestJwts.jwt(attacker).embeddedJwk(attacker).sign(), Rejection.BAD_SIGNATURE);
        assertRejected(TestJwts.jwt(TestKeys.Alg.ES256).kid("not-a-known-kid").sign(), Rejection.UNKNOWN_KID);
        assertRejected(TestJwts.jwt(TestKeys.Alg.ES256).expired().sign(), Rejection.EXPIRED);
        assertRejected(TestJwts.jwt(TestKeys.Alg.ES256).notYetValid().sign(), Rejection.NOT_YET_VALID);
        assertRejected(TestJwts.jwt(TestKeys.Alg.ES256).issuer("https://other.example.test").sign(),
                Rejection.WRONG_ISSUER);
        assertRejected(TestJwts.jwt(TestKeys.Alg.ES256).audience("someone-else").sign(), Rejection.WRONG_AUDIENCE);
    }

    private static void assertRejected(String token, Rejection reason) {
        Verification verdict = VERIFIER.verify(token);

        assertThat(verdict).as(verdict.toString()).isInstanceOfSatisfying(Verification.Rejected.class,
                rejected -> assertThat(rejected.reason()).as(verdict.toString()).isEqualTo(reason));
    }
}
