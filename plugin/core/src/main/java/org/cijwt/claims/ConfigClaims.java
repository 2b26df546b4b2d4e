package org.cijwt.claims;

import java.util.Objects;
import java.util.Optional;

/**
 * What the worker found when it checked the task's signed config, as the token states it:
 * {@code config_digest}, {@code config_verification} and, only when verified, {@code config_signer}.
 *
 * @param digest       {@code sha256:...} of the step's canonical signed fields; empty when no step came with the build
 * @param verification {@code verified}, {@code unsigned} or {@code failed}
 * @param signer       the RFC 7638 thumbprint of the pinned key that verified it
 */
public record ConfigClaims(Optional<String> digest, String verification, Optional<String> signer) {
    public ConfigClaims {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(verification, "verification");
        Objects.requireNonNull(signer, "signer");
    }
}
