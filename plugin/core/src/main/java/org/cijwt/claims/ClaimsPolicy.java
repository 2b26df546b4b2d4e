package org.cijwt.claims;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;

/**
 * What a token says beyond the build facts: issuer, subject format, audiences, lifetime, the
 * {@code nbf} backdating, extra static claims and the signing algorithm. Validated once, at
 * construction.
 */
public record ClaimsPolicy(
        String issuer,
        SubjectFormat subject,
        List<String> audiences,
        Duration ttl,
        Duration notBeforeSkew,
        Map<String, Object> extraClaims,
        SigningAlgorithm algorithm) {

    public static final String DEFAULT_ISSUER = "http://127.0.0.1:8080";
    public static final Duration DEFAULT_TTL = Duration.ofHours(1);
    public static final Duration MIN_TTL = Duration.ofMinutes(1);
    public static final Duration MAX_TTL = Duration.ofHours(24);
    /** Backdating {@code nbf} keeps relying parties with zero leeway from rejecting a fast clock's token. */
    public static final Duration DEFAULT_NBF_SKEW = Duration.ofSeconds(30);
    public static final Duration MAX_NBF_SKEW = Duration.ofMinutes(5);
    public static final SigningAlgorithm DEFAULT_ALGORITHM = SigningAlgorithm.ES256;

    public ClaimsPolicy {
        audiences = List.copyOf(audiences);
        extraClaims = Map.copyOf(extraClaims);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.issuer = issuer;
        b.subject = subject;
        b.audiences = new ArrayList<>(audiences);
        b.ttl = ttl;
        b.notBeforeSkew = notBeforeSkew;
        b.extraClaims = new LinkedHashMap<>(extraClaims);
        b.algorithm = algorithm;
        return b;
    }

    /** Builder whose {@link #build()} checks every rule and names the setting that breaks one. */
    public static final class Builder {
        private String issuer = DEFAULT_ISSUER;
        private SubjectFormat subject = SubjectFormat.DEFAULT;
        private List<String> audiences = new ArrayList<>();
        private Duration ttl = DEFAULT_TTL;
        private Duration notBeforeSkew = DEFAULT_NBF_SKEW;
        private Map<String, Object> extraClaims = new LinkedHashMap<>();
        private SigningAlgorithm algorithm = DEFAULT_ALGORITHM;

        public Builder issuer(String v) { this.issuer = v; return this; }
        public Builder subject(SubjectFormat v) { this.subject = v; return this; }
        public Builder audiences(List<String> v) { this.audiences = new ArrayList<>(v); return this; }
        public Builder audience(String v) { this.audiences.add(v); return this; }
        public Builder ttl(Duration v) { this.ttl = v; return this; }
        public Builder notBeforeSkew(Duration v) { this.notBeforeSkew = v; return this; }
        public Builder extraClaim(String name, Object value) { this.extraClaims.put(name, value); return this; }
        public Builder extraClaims(Map<String, Object> v) { this.extraClaims = new LinkedHashMap<>(v); return this; }
        public Builder algorithm(SigningAlgorithm v) { this.algorithm = v; return this; }

        public ClaimsPolicy build() throws CiJwtException {
            validateIssuer(issuer);
            if (audiences.isEmpty()) {
                throw invalid("audience: at least one audience is required");
            }
            for (String aud : audiences) {
                if (aud == null || aud.isBlank()) {
                    throw invalid("audience: an audience may not be empty");
                }
            }
            if (ttl == null || ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
                throw invalid("ttl " + format(ttl) + " is outside [1m, 24h]");
            }
            if (notBeforeSkew == null || notBeforeSkew.isNegative() || notBeforeSkew.compareTo(MAX_NBF_SKEW) > 0) {
                throw invalid("nbf skew " + format(notBeforeSkew) + " is outside [0s, 5m]");
            }
            for (String name : extraClaims.keySet()) {
                if (ClaimNames.RESERVED.contains(name)) {
                    throw invalid("extra claim '" + name + "' would override a registered or build claim");
                }
                if (name.isBlank()) {
                    throw invalid("extra claim names may not be empty");
                }
            }
            if (subject == null || algorithm == null) {
                throw invalid("subject format and algorithm are required");
            }
            return new ClaimsPolicy(issuer, subject, audiences, ttl, notBeforeSkew, extraClaims, algorithm);
        }

        private static CiJwtException invalid(String message) {
            return new CiJwtException(ErrorCode.POLICY_INVALID, message);
        }

        private static String format(Duration d) {
            return d == null ? "(none)" : d.toString().substring(2).toLowerCase();
        }
    }

    /**
     * Checks an issuer the way relying parties compare it: byte for byte. A trailing slash, a
     * query or a fragment is the classic cause of a Vault login outage, so they are refused.
     */
    public static void validateIssuer(String issuer) throws CiJwtException {
        if (issuer == null || issuer.isBlank()) {
            throw new CiJwtException(ErrorCode.POLICY_INVALID, "issuer is empty");
        }
        URI uri;
        try {
            uri = new URI(issuer);
        } catch (URISyntaxException e) {
            throw new CiJwtException(ErrorCode.POLICY_INVALID, "issuer '" + issuer + "' is not a valid URL: " + e.getReason());
        }
        if (!uri.isAbsolute() || uri.getHost() == null
                || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))) {
            throw new CiJwtException(ErrorCode.POLICY_INVALID,
                    "issuer '" + issuer + "' must be an absolute http(s) URL with a host");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new CiJwtException(ErrorCode.POLICY_INVALID, "issuer '" + issuer + "' may not have a query or fragment");
        }
        if (issuer.endsWith("/")) {
            throw new CiJwtException(ErrorCode.POLICY_INVALID,
                    "issuer '" + issuer + "' ends with '/': relying parties compare the issuer byte for byte, remove the slash");
        }
        if (uri.getRawUserInfo() != null) {
            throw new CiJwtException(ErrorCode.POLICY_INVALID, "issuer '" + issuer + "' may not contain user info");
        }
    }
}
