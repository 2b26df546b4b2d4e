package org.cijwt.tokens;

import com.nimbusds.jwt.JWTClaimsSet;
import org.cijwt.jose.SigningAlgorithm;

/** The outcome of verifying a token: accepted with its claims, or rejected with a reason. */
public sealed interface Verification {

    boolean active();

    /**
     * An accepted token: its claims parsed, and as the JSON bytes it carried (UTF-8, one object
     * with no member twice and nothing after it: the verifier parsed them so), with the key that
     * verified it.
     */
    record Accepted(JWTClaimsSet claims, byte[] claimsJson, String kid, SigningAlgorithm algorithm) implements Verification {
        @Override
        public boolean active() {
            return true;
        }

        /** A copy: the verifier's signature cache may hold the same bytes. */
        @Override
        public byte[] claimsJson() {
            return claimsJson.clone();
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
