package org.cijwt.tokens;

import com.nimbusds.jwt.JWTClaimsSet;
import org.cijwt.jose.SigningAlgorithm;

/** The outcome of verifying a token: accepted with its claims, or rejected with a reason. */
public sealed interface Verification {

    boolean active();

    /** An accepted token. */
    record Accepted(JWTClaimsSet claims, String kid, SigningAlgorithm algorithm) implements Verification {
        @Override
        public boolean active() {
            return true;
        }
    }

    /** A rejected token; {@code detail} is a sentence for people and never contains the token. */
    record Rejected(Rejection reason, String detail) implements Verification {
        @Override
        public boolean active() {
            return false;
        }

        @Override
        public String toString() {
            return reason.wireName() + ": " + detail;
        }
    }
}
