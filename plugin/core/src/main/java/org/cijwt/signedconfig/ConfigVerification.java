package org.cijwt.signedconfig;

import java.util.Optional;

/**
 * The outcome of checking a task step against its signature: what the token's
 * {@code config_verification}, {@code config_digest} and {@code config_signer} claims say.
 *
 * @param status   verified, unsigned or failed
 * @param reason   why it is not verified (empty when verified), one line naming the step
 * @param digest   the {@code sha256:} digest of the signed fields of the step as it runs
 * @param signer   the RFC 7638 thumbprint of the pinned key that verified it, only when verified
 */
public record ConfigVerification(Status status, Optional<String> reason, String digest, Optional<String> signer) {

    /** The values of the {@code config_verification} claim. */
    public enum Status {
        VERIFIED, UNSIGNED, FAILED;

        /** The claim value: {@code verified}, {@code unsigned}, {@code failed}. */
        public String claim() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static ConfigVerification verified(String digest, String signer) {
        return new ConfigVerification(Status.VERIFIED, Optional.empty(), digest, Optional.of(signer));
    }

    public static ConfigVerification unsigned(String digest, String reason) {
        return new ConfigVerification(Status.UNSIGNED, Optional.of(reason), digest, Optional.empty());
    }

    public static ConfigVerification failed(String digest, String reason) {
        return new ConfigVerification(Status.FAILED, Optional.of(reason), digest, Optional.empty());
    }

    public boolean isVerified() {
        return status == Status.VERIFIED;
    }
}
