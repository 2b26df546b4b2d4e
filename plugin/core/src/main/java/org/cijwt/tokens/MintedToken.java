package org.cijwt.tokens;

import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Instant;
import java.util.List;
import org.cijwt.jose.SigningAlgorithm;

/**
 * A signed token and what it says. {@link #toString()} leaves the token out, so logging a
 * minted token by accident shows its id and expiry, not a bearer credential.
 */
public record MintedToken(String compact, JWTClaimsSet claims, String kid, SigningAlgorithm algorithm,
                          Instant expiresAt, Instant issuedAt, List<String> warnings) {

    public String jti() {
        return claims.getJWTID();
    }

    @Override
    public String toString() {
        return "MintedToken[jti=" + jti() + ", kid=" + kid + ", alg=" + algorithm + ", exp=" + expiresAt + ", token=<redacted>]";
    }
}
