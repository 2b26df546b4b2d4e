package org.cijwt.tokens;

import java.util.Locale;

/** Why a token is not accepted; {@link #wireName()} is the stable, machine-readable form. */
public enum Rejection {
    MALFORMED,
    ALGORITHM_NOT_ALLOWED,
    UNKNOWN_KID,
    BAD_SIGNATURE,
    WRONG_ISSUER,
    WRONG_AUDIENCE,
    EXPIRED,
    NOT_YET_VALID,
    /** A valid token of a build that Concourse says has finished: the token dies with its build. */
    BUILD_FINISHED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
