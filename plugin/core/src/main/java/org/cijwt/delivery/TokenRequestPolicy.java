package org.cijwt.delivery;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.config.Durations;
import org.cijwt.config.SettingException;
import org.cijwt.errors.ErrorCode;

/**
 * What a container of a profile may ask for on its token socket ({@code on_request} in the agent's
 * profile): the audiences, the longest lifetime, and how many tokens a minute. A profile without it
 * allows no request, and its containers get no socket.
 *
 * <pre>
 * on_request:
 *   audiences: [sts.amazonaws.com, "//iam.googleapis.com/projects/*"]   # exact, or simple * patterns
 *   max_ttl: 1h           # default 1h; a request asks for at most this (default lifetime: 10m or this, the shorter)
 *   rate_per_minute: 60   # default 60; a burst of this many, then this many a minute
 * </pre>
 */
public record TokenRequestPolicy(List<AudiencePattern> audiences, Duration maxTtl, int ratePerMinute) {
    /** The lifetime of a token whose request names none, unless {@code max_ttl} is shorter. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(10);
    public static final Duration DEFAULT_MAX_TTL = Duration.ofHours(1);
    public static final int DEFAULT_RATE_PER_MINUTE = 60;
    public static final int MAX_RATE_PER_MINUTE = 60_000;
    /** Most audiences one request may name. */
    public static final int MAX_AUDIENCES = 8;

    public TokenRequestPolicy {
        audiences = List.copyOf(audiences);
        Objects.requireNonNull(maxTtl, "maxTtl");
        if (audiences.isEmpty()) {
            throw new IllegalArgumentException("at least one audience is required");
        }
        if (maxTtl.compareTo(ClaimsPolicy.MIN_TTL) < 0 || maxTtl.compareTo(ClaimsPolicy.MAX_TTL) > 0) {
            throw new IllegalArgumentException("max_ttl " + Durations.format(maxTtl) + " is outside [1m, 24h]");
        }
        if (ratePerMinute < 1 || ratePerMinute > MAX_RATE_PER_MINUTE) {
            throw new IllegalArgumentException("rate_per_minute " + ratePerMinute + " is outside [1, " + MAX_RATE_PER_MINUTE + "]");
        }
    }

    /** The {@code on_request} entry as written; absent keys take the defaults. */
    @JsonCreator
    static TokenRequestPolicy fromFile(@JsonProperty("audiences") List<String> audiences, @JsonProperty("max_ttl") Duration maxTtl,
                                       @JsonProperty("rate_per_minute") Integer ratePerMinute) throws SettingException {
        if (audiences == null || audiences.isEmpty()) {
            throw new SettingException(ErrorCode.SETTING_INVALID, "audiences",
                    "is required: the audiences a task may ask for, e.g. [sts.amazonaws.com]");
        }
        List<AudiencePattern> patterns = new ArrayList<>();
        for (int i = 0; i < audiences.size(); i++) {
            try {
                patterns.add(AudiencePattern.parse(audiences.get(i)));
            } catch (IllegalArgumentException e) {
                throw new SettingException(ErrorCode.SETTING_INVALID, "audiences[" + i + "]", e.getMessage());
            }
        }
        Duration ttl = maxTtl == null ? DEFAULT_MAX_TTL : maxTtl;
        try {
            return new TokenRequestPolicy(patterns, ttl, ratePerMinute == null ? DEFAULT_RATE_PER_MINUTE : ratePerMinute);
        } catch (IllegalArgumentException e) {
            throw new SettingException(ErrorCode.SETTING_INVALID, e.getMessage().startsWith("max_ttl") ? "max_ttl" : "rate_per_minute",
                    e.getMessage());
        }
    }

    /** The first allow-list entry that allows {@code audience}. */
    public Optional<AudiencePattern> allowing(String audience) {
        return audiences.stream().filter(p -> p.matches(audience)).findFirst();
    }

    /** The lifetime of a token whose request names none. */
    public Duration defaultLifetime() {
        return DEFAULT_LIFETIME.compareTo(maxTtl) < 0 ? DEFAULT_LIFETIME : maxTtl;
    }
}
