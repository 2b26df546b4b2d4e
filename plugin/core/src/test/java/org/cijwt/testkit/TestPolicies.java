package org.cijwt.testkit;

import java.time.Duration;
import java.util.List;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.fixtures.TestJwts;
import org.cijwt.jose.SigningAlgorithm;

/**
 * Claims policies for tests: the issuer, audience and lifetime that {@link TestJwts} uses too, so
 * that tokens ci-jwt mints and tokens the test kit forges meet the same verifier.
 */
public final class TestPolicies {

    /** The issuer of test tokens: {@link TestJwts#ISSUER}. */
    public static final String ISSUER = TestJwts.ISSUER;
    /** The one audience of test tokens: {@link TestJwts#AUDIENCE}. */
    public static final String AUDIENCE = TestJwts.AUDIENCE;
    /** The lifetime of test tokens: {@link TestJwts#TTL}. */
    public static final Duration TTL = TestJwts.TTL;

    private TestPolicies() {
    }

    /**
     * A builder preset with {@link #ISSUER}, {@link #AUDIENCE} and {@link #TTL}, for a test to set
     * what it is about; {@code audience(x)} adds a second audience, {@code audiences(List.of(x))} replaces it.
     */
    public static ClaimsPolicy.Builder builder() {
        return ClaimsPolicy.builder().issuer(ISSUER).audiences(List.of(AUDIENCE)).ttl(TTL);
    }

    /** The preset policy, signing with the default algorithm. */
    public static ClaimsPolicy policy() {
        return build(builder());
    }

    /** The preset policy, signing with {@code alg}. */
    public static ClaimsPolicy policy(SigningAlgorithm alg) {
        return build(builder().algorithm(alg));
    }

    /** The preset policy with another issuer and audience, signing with {@code alg}. */
    public static ClaimsPolicy policy(String issuer, String audience, SigningAlgorithm alg) {
        return build(builder().issuer(issuer).audiences(List.of(audience)).algorithm(alg));
    }

    /** Builds a policy a test means to be valid: a rule it breaks is a bug in the test, so it is unchecked. */
    public static ClaimsPolicy build(ClaimsPolicy.Builder builder) {
        try {
            return builder.build();
        } catch (CiJwtException e) {
            throw new IllegalStateException("test policy is invalid: " + e.getMessage(), e);
        }
    }
}
