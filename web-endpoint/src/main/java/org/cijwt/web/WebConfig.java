package org.cijwt.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.concourse.ConcourseSettings;
import org.cijwt.config.Durations;
import org.cijwt.config.SettingException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.keys.RotationPolicy;
import org.cijwt.tokens.TokenVerifier;

/**
 * The validated settings of the web endpoint; built by {@link WebConfigLoader} from file,
 * environment and flags (Jackson binds them through the {@link Builder}), or in code with
 * {@link #builder()}. Every rule is checked once, in {@link Builder#build()}, which names the
 * setting that breaks one.
 */
@JsonDeserialize(builder = WebConfig.Builder.class)
public record WebConfig(
        String host,
        int port,
        String issuer,
        String keys,
        String keyId,
        List<Path> verificationKeys,
        RotationPolicy rotation,
        List<String> audiences,
        Duration jwksMaxAge,
        Duration leeway,
        boolean introspectionReasons,
        Path tlsCert,
        Path tlsKey,
        Duration reloadInterval,
        Duration shutdownGrace,
        int eventLoops,
        int verifyWorkers,
        boolean inlineEdDsa,
        int verifyCacheSize,
        ConcourseSettings concourse) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_VERIFY_CACHE_SIZE = 10_000;
    /** About 2 KiB an entry: a million bounds the cache near 2 GiB, far beyond any real need. */
    public static final int MAX_VERIFY_CACHE_SIZE = 1_000_000;
    public static final Duration DEFAULT_JWKS_MAX_AGE = Duration.ofSeconds(300);
    public static final Duration MAX_LEEWAY = Duration.ofMinutes(5);
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(2);
    public static final Duration MIN_RELOAD_INTERVAL = Duration.ofMillis(100);
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    public static final int MAX_THREADS = 256;

    public WebConfig {
        verificationKeys = List.copyOf(verificationKeys);
        audiences = List.copyOf(audiences);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.issuer = issuer;
        b.keys = keys;
        b.keyId = keyId;
        b.verificationKeys = new ArrayList<>(verificationKeys);
        b.rotationPeriod = rotation.period();
        b.rotationGrace = rotation.grace();
        b.audiences = new ArrayList<>(audiences);
        b.jwksMaxAge = jwksMaxAge;
        b.leeway = leeway;
        b.introspectionReasons = introspectionReasons;
        b.tlsCert = tlsCert;
        b.tlsKey = tlsKey;
        b.reloadInterval = reloadInterval;
        b.shutdownGrace = shutdownGrace;
        b.eventLoops = eventLoops;
        b.verifyWorkers = verifyWorkers;
        b.inlineEdDsa = inlineEdDsa;
        b.verifyCacheSize = verifyCacheSize;
        if (concourse != null) {
            b.concourseUrl = concourse.url().toString();
            b.concourseUser = concourse.user();
            b.concoursePasswordFile = concourse.passwordFile();
            b.concourseCaFile = concourse.caFile().orElse(null);
        }
        return b;
    }

    public boolean tls() {
        return tlsCert != null;
    }

    /**
     * Builder with the documented defaults. Its one-value methods are also the keys Jackson binds a
     * settings document to ({@code key_id} is {@link #keyId}); {@code WebConfigLoaderTest} holds them
     * equal to {@link Setting}.
     */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private String issuer = ClaimsPolicy.DEFAULT_ISSUER;
        private String keys;
        private String keyId;
        private List<Path> verificationKeys = new ArrayList<>();
        private Duration rotationPeriod = RotationPolicy.DEFAULT_PERIOD;
        private Duration rotationGrace = RotationPolicy.DEFAULT_GRACE;
        private List<String> audiences = new ArrayList<>();
        private Duration jwksMaxAge = DEFAULT_JWKS_MAX_AGE;
        private Duration leeway = TokenVerifier.DEFAULT_LEEWAY;
        private boolean introspectionReasons = true;
        private Path tlsCert;
        private Path tlsKey;
        private Duration reloadInterval = DEFAULT_RELOAD_INTERVAL;
        private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
        private int eventLoops = Runtime.getRuntime().availableProcessors();
        private int verifyWorkers = Runtime.getRuntime().availableProcessors();
        private boolean inlineEdDsa = false;
        private int verifyCacheSize = DEFAULT_VERIFY_CACHE_SIZE;
        private String concourseUrl;
        private String concourseUser;
        private Path concoursePasswordFile;
        private Path concourseCaFile;

        public Builder listen(String host, int port) { this.host = host; this.port = port; return this; }
        public Builder tlsCert(Path v) { this.tlsCert = v; return this; }
        public Builder tlsKey(Path v) { this.tlsKey = v; return this; }
        public Builder issuer(String v) { this.issuer = v; return this; }
        public Builder keys(String v) { this.keys = v; return this; }
        public Builder keyId(String v) { this.keyId = v; return this; }
        public Builder verificationKeys(List<Path> v) { this.verificationKeys = new ArrayList<>(v); return this; }
        public Builder rotationPeriod(Duration v) { this.rotationPeriod = v; return this; }
        public Builder rotationGrace(Duration v) { this.rotationGrace = v; return this; }
        public Builder audiences(List<String> v) { this.audiences = new ArrayList<>(v); return this; }
        public Builder jwksMaxAge(Duration v) { this.jwksMaxAge = v; return this; }
        public Builder leeway(Duration v) { this.leeway = v; return this; }
        public Builder introspectionReasons(boolean v) { this.introspectionReasons = v; return this; }
        public Builder tls(Path cert, Path key) { this.tlsCert = cert; this.tlsKey = key; return this; }
        public Builder reloadInterval(Duration v) { this.reloadInterval = v; return this; }
        public Builder shutdownGrace(Duration v) { this.shutdownGrace = v; return this; }
        public Builder eventLoops(int v) { this.eventLoops = v; return this; }
        public Builder verifyWorkers(int v) { this.verifyWorkers = v; return this; }
        @JsonProperty("inline_eddsa")
        public Builder inlineEdDsa(boolean v) { this.inlineEdDsa = v; return this; }
        public Builder verifyCacheSize(int v) { this.verifyCacheSize = v; return this; }
        public Builder concourseUrl(String v) { this.concourseUrl = v; return this; }
        public Builder concourseUser(String v) { this.concourseUser = v; return this; }
        public Builder concoursePasswordFile(Path v) { this.concoursePasswordFile = v; return this; }
        public Builder concourseCaFile(Path v) { this.concourseCaFile = v; return this; }

        /**
         * {@code listen} as written in a settings document: {@code HOST:PORT}, the host of IPv6 in brackets.
         * Its errors have the empty path: Jackson locates a property's value itself.
         */
        @JsonProperty("listen")
        private Builder listen(String hostAndPort) throws SettingException {
            int colon = hostAndPort.lastIndexOf(':');
            if (colon <= 0 || colon == hostAndPort.length() - 1) {
                throw new SettingException(ErrorCode.SETTING_INVALID, "", "is not HOST:PORT (e.g. 127.0.0.1:8080, 0.0.0.0:8443, [::1]:8080)");
            }
            String h = hostAndPort.substring(0, colon);
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            }
            String p = hostAndPort.substring(colon + 1);
            if (!p.matches("\\d{1,5}")) {
                throw new SettingException(ErrorCode.SETTING_INVALID, "", "has no numeric port (HOST:PORT, e.g. 127.0.0.1:8080)");
            }
            return listen(h, Integer.parseInt(p));
        }

        public WebConfig build() throws SettingException {
            if (host == null || host.isBlank()) {
                throw invalid(Setting.LISTEN, "the host is empty");
            }
            if (port < 0 || port > 65535) {
                throw invalid(Setting.LISTEN, "port " + port + " is outside 0..65535");
            }
            try {
                ClaimsPolicy.validateIssuer(issuer);
            } catch (CiJwtException e) {
                throw new SettingException(e.code(), Setting.ISSUER.key(), e.getMessage());
            }
            for (String aud : audiences) {
                if (aud == null || aud.isBlank()) {
                    throw invalid(Setting.AUDIENCES, "an audience may not be empty");
                }
            }
            nonNegative(Setting.JWKS_MAX_AGE, jwksMaxAge);
            nonNegative(Setting.LEEWAY, leeway);
            if (leeway.compareTo(MAX_LEEWAY) > 0) {
                throw invalid(Setting.LEEWAY, Durations.format(leeway) + " is more than " + Durations.format(MAX_LEEWAY));
            }
            nonNegative(Setting.ROTATION_PERIOD, rotationPeriod);
            nonNegative(Setting.ROTATION_GRACE, rotationGrace);
            RotationPolicy rotation;
            try {
                rotation = RotationPolicy.of(rotationPeriod, rotationGrace, RotationPolicy.DEFAULT_MAX_TOKEN_TTL);
            } catch (CiJwtException e) {
                throw new SettingException(e.code(), Setting.ROTATION_GRACE.key(), e.getMessage());
            }
            if ((tlsCert == null) != (tlsKey == null)) {
                throw new SettingException(ErrorCode.SETTING_INVALID, (tlsCert == null ? Setting.TLS_CERT : Setting.TLS_KEY).key(),
                        "tls_cert and tls_key must be set together");
            }
            nonNegative(Setting.RELOAD_INTERVAL, reloadInterval);
            if (!reloadInterval.isZero() && reloadInterval.compareTo(MIN_RELOAD_INTERVAL) < 0) {
                throw invalid(Setting.RELOAD_INTERVAL, Durations.format(reloadInterval) + " is below "
                        + Durations.format(MIN_RELOAD_INTERVAL) + " (0 turns reloading off)");
            }
            nonNegative(Setting.SHUTDOWN_GRACE, shutdownGrace);
            threads(Setting.EVENT_LOOPS, eventLoops);
            threads(Setting.VERIFY_WORKERS, verifyWorkers);
            if (verifyCacheSize < 0 || verifyCacheSize > MAX_VERIFY_CACHE_SIZE) {
                throw invalid(Setting.VERIFY_CACHE_SIZE, verifyCacheSize + " is outside 0.." + MAX_VERIFY_CACHE_SIZE
                        + " (0 turns it off)");
            }
            ConcourseSettings concourse = null;
            if (concourseUrl == null) {
                for (Setting s : List.of(Setting.CONCOURSE_USER, Setting.CONCOURSE_PASSWORD_FILE, Setting.CONCOURSE_CA_FILE)) {
                    boolean set = s == Setting.CONCOURSE_USER ? concourseUser != null
                            : s == Setting.CONCOURSE_PASSWORD_FILE ? concoursePasswordFile != null : concourseCaFile != null;
                    if (set) {
                        throw invalid(s, "is set without concourse_url");
                    }
                }
            } else {
                try {
                    concourse = ConcourseSettings.of(concourseUrl, concourseUser, concoursePasswordFile, concourseCaFile, null);
                } catch (SettingException e) {
                    throw e;
                } catch (CiJwtException e) {
                    throw new SettingException(e.code(), Setting.CONCOURSE_PASSWORD_FILE.key(), e.getMessage());
                }
            }
            return new WebConfig(host, port, issuer, blankToNull(keys), blankToNull(keyId), verificationKeys, rotation,
                    audiences, jwksMaxAge, leeway, introspectionReasons, tlsCert, tlsKey, reloadInterval,
                    shutdownGrace, eventLoops, verifyWorkers, inlineEdDsa, verifyCacheSize, concourse);
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s;
        }

        private static void nonNegative(Setting s, Duration d) throws SettingException {
            if (d == null || d.isNegative()) {
                throw invalid(s, "a duration of 0 or more is required");
            }
        }

        private static void threads(Setting s, int n) throws SettingException {
            if (n < 1 || n > MAX_THREADS) {
                throw invalid(s, n + " is outside 1.." + MAX_THREADS);
            }
        }
    }

    /**
     * A value of {@code s} that breaks a rule; for the TLS settings (whose files {@link TlsFiles} checks)
     * the kind is {@link ErrorCode#TLS_INVALID}, for every other setting {@link ErrorCode#SETTING_INVALID}.
     */
    static SettingException invalid(Setting s, String rule) {
        ErrorCode code = s == Setting.TLS_CERT || s == Setting.TLS_KEY ? ErrorCode.TLS_INVALID : ErrorCode.SETTING_INVALID;
        return new SettingException(code, s.key(), rule);
    }
}
