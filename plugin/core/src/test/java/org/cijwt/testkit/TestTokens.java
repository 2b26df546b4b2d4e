package org.cijwt.testkit;

import java.time.Clock;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;

/**
 * Tokens ci-jwt itself mints, for tests of what consumes them (verifier, introspection, Vault):
 * the sample build {@link TestBuilds#main()} under a {@link TestPolicies} policy, signed by
 * {@link TestKeyRings#signing()} unless a test names another ring. Forged tokens come from
 * {@link org.cijwt.fixtures.TestJwts}.
 */
public final class TestTokens {

    private TestTokens() {
    }

    /** The sample build under the preset policy for {@code alg}, signed now by the committed keys. */
    public static MintedToken mint(SigningAlgorithm alg) {
        return mint(TestKeyRings.signing(), Clock.systemUTC(), TestPolicies.policy(alg));
    }

    /** The sample build under {@code policy}, signed by {@code ring} at {@code clock}'s now. */
    public static MintedToken mint(KeyRing ring, Clock clock, ClaimsPolicy policy) {
        return mint(ring, clock, policy, TestBuilds.main());
    }

    /** {@code build} under {@code policy}, signed by {@code ring} at {@code clock}'s now. */
    public static MintedToken mint(KeyRing ring, Clock clock, ClaimsPolicy policy, BuildMetadata build) {
        try {
            return new TokenMinter(() -> ring, clock).mint(build, policy);
        } catch (CiJwtException e) {
            throw new IllegalStateException("cannot mint a test token: " + e.getMessage(), e);
        }
    }
}
