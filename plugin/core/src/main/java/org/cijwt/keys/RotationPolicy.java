package org.cijwt.keys;

import java.time.Duration;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * When the embedded store rotates keys. The next key is published one grace period before it
 * starts signing, so relying parties that cache the JWKS for less than that never see an unknown
 * {@code kid}; a retired key stays published until every token it signed has expired.
 *
 * @param period how long a key signs; zero turns rotation off
 * @param grace how long the next key is published before it signs
 * @param maxTokenTtl the longest lifetime of a token this store signs
 */
public record RotationPolicy(Duration period, Duration grace, Duration maxTokenTtl) {
    public static final Duration DEFAULT_PERIOD = Duration.ofDays(7);
    public static final Duration DEFAULT_GRACE = Duration.ofHours(24);
    public static final Duration DEFAULT_MAX_TOKEN_TTL = Duration.ofHours(24);
    /** Relying parties accept a token a little past {@code exp}; keep its key that much longer. */
    public static final Duration RETIRE_MARGIN = Duration.ofMinutes(5);

    public static final RotationPolicy DEFAULT = new RotationPolicy(DEFAULT_PERIOD, DEFAULT_GRACE, DEFAULT_MAX_TOKEN_TTL);
    public static final RotationPolicy NEVER = new RotationPolicy(Duration.ZERO, Duration.ZERO, DEFAULT_MAX_TOKEN_TTL);

    /** Validates; a grace period shorter than the longest token lifetime is a configuration error. */
    public static RotationPolicy of(Duration period, Duration grace, Duration maxTokenTtl) throws CiJwtException {
        if (period.isNegative() || grace.isNegative() || maxTokenTtl.isNegative() || maxTokenTtl.isZero()) {
            throw new CiJwtException(ErrorCode.ROTATION_INVALID, "rotation period, grace period and token lifetime must be positive");
        }
        if (period.isZero()) {
            return new RotationPolicy(Duration.ZERO, Duration.ZERO, maxTokenTtl);
        }
        if (grace.compareTo(maxTokenTtl) < 0) {
            throw new CiJwtException(ErrorCode.ROTATION_INVALID, "rotation grace period " + human(grace)
                    + " is shorter than the longest token lifetime " + human(maxTokenTtl)
                    + ": relying parties would meet tokens whose key they have not fetched yet");
        }
        if (grace.compareTo(period) >= 0) {
            throw new CiJwtException(ErrorCode.ROTATION_INVALID, "rotation grace period " + human(grace)
                    + " must be shorter than the rotation period " + human(period));
        }
        return new RotationPolicy(period, grace, maxTokenTtl);
    }

    public boolean enabled() {
        return !period.isZero();
    }

    static String human(Duration d) {
        return d.toString().substring(2).toLowerCase();
    }
}
