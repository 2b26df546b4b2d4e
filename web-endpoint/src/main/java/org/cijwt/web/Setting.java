package org.cijwt.web;

import java.util.Locale;
import java.util.Optional;

/**
 * Every setting of {@code ci-jwt serve}: its key in the config file, its environment variable and
 * its flag. One table, so that the loader, the command line and the README cannot drift apart.
 */
public enum Setting {
    LISTEN("listen", "HOST:PORT", "127.0.0.1:8080", "Address and port to listen on; port 0 picks a free port."),
    ISSUER("issuer", "URL", "http://127.0.0.1:8080",
            "The issuer: iss of accepted tokens and base of every URL in discovery. No trailing slash, query or fragment."),
    KEYS("keys", "PATH", "./.ci-jwt/keys",
            "Key state directory (embedded store), a PEM file, a JWKS file or 'ephemeral'. Without it $CI_JWT_SIGNING_KEY_FILE"
                    + " or $CI_JWT_SIGNING_KEY are used if set."),
    KEY_ID("key_id", "KID", "(none)", "With a JWKS file: the id of the key that signs."),
    VERIFICATION_KEYS("verification_keys", "FILE[,FILE...]", "(none)",
            "Public keys (PEM or JWKS) to publish and accept but never sign with; a list in the file, comma-separated in the"
                    + " environment, repeatable as a flag."),
    ROTATION_PERIOD("rotation_period", "DURATION", "7d", "Embedded store: how long a key signs before the next takes over; 0 turns rotation off."),
    ROTATION_GRACE("rotation_grace", "DURATION", "24h", "Embedded store: how long the next key is published before it signs."),
    AUDIENCES("audiences", "AUD[,AUD...]", "(none)",
            "Audiences introspection accepts when a request names none; without it every request must send 'audience' (else 400)."),
    JWKS_MAX_AGE("jwks_max_age", "DURATION", "300s", "max-age of the JWKS and discovery Cache-Control header."),
    LEEWAY("leeway", "DURATION", "60s", "Clock-skew leeway for exp and nbf, at most 5m."),
    INTROSPECTION_REASONS("introspection_reasons", "true|false", "true",
            "Whether an inactive introspection answer says why (reason); false answers only {\"active\":false}."),
    TLS_CERT("tls_cert", "FILE", "(none)", "PEM certificate chain; with tls_key the server speaks HTTPS only."),
    TLS_KEY("tls_key", "FILE", "(none)", "PEM private key of tls_cert (PKCS#8 or PKCS#1)."),
    RELOAD_INTERVAL("reload_interval", "DURATION", "2s", "How often key files are checked for changes; 0 turns reloading off."),
    SHUTDOWN_GRACE("shutdown_grace", "DURATION", "10s", "On SIGTERM, how long requests in flight may take to finish."),
    EVENT_LOOPS("event_loops", "N", "(number of CPUs)", "Server instances (event loops) sharing the port."),
    VERIFY_WORKERS("verify_workers", "N", "(number of CPUs)", "Worker threads that verify ES256 and RS256 signatures off the event loop."),
    INLINE_EDDSA("inline_eddsa", "true|false", "false",
            "Verify EdDSA tokens on the event loop instead of the worker pool; measured equal throughput, so off keeps the event loop free."),
    VERIFY_CACHE_SIZE("verify_cache_size", "N", "10000",
            "Tokens whose signature check is remembered (by SHA-256, per key-ring version) so repeated introspection of one token"
                    + " costs no signature; exp, nbf, iss and aud are still checked on every call. 0 turns it off.");

    private final String key;
    private final String valueLabel;
    private final String defaultText;
    private final String description;

    Setting(String key, String valueLabel, String defaultText, String description) {
        this.key = key;
        this.valueLabel = valueLabel;
        this.defaultText = defaultText;
        this.description = description;
    }

    /** The key in the config file, e.g. {@code jwks_max_age}. */
    public String key() {
        return key;
    }

    /** The environment variable, e.g. {@code CI_JWT_JWKS_MAX_AGE}. */
    public String envVar() {
        return "CI_JWT_" + key.toUpperCase(Locale.ROOT);
    }

    /** The command-line flag, e.g. {@code --jwks-max-age}. */
    public String flag() {
        return this == VERIFICATION_KEYS ? "--verify-keys" : "--" + key.replace('_', '-');
    }

    public String valueLabel() {
        return valueLabel;
    }

    public String defaultText() {
        return defaultText;
    }

    public String description() {
        return description;
    }

    public static Optional<Setting> ofKey(String key) {
        for (Setting s : values()) {
            if (s.key.equals(key)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
