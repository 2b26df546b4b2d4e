package org.cijwt.web;

import java.util.Locale;
import java.util.Optional;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.keys.KeySettings;

/**
 * Every setting of {@code ci-jwt serve}: its key in the config file, its environment variable, its
 * flag, the kind of value it takes, its default and what it means. The one table behind the loader,
 * the generated {@code serve} options and the settings table of docs/settings.md (tests hold all three to it).
 */
public enum Setting {
    LISTEN("listen", Kind.TEXT, "HOST:PORT", "127.0.0.1:8080", "Address and port to listen on; port 0 picks a free port."),
    ISSUER("issuer", Kind.TEXT, "URL", ClaimsPolicy.DEFAULT_ISSUER,
            "The issuer: iss of accepted tokens and base of every URL in discovery. No trailing slash, query or fragment."),
    KEYS("keys", Kind.TEXT, "PATH", "./.ci-jwt/keys", KeySettings.KEYS_HELP),
    KEY_ID("key_id", Kind.TEXT, "KID", "(none)", KeySettings.KEY_ID_HELP),
    VERIFICATION_KEYS("verification_keys", Kind.FILES, "FILE", "(none)",
            KeySettings.VERIFY_KEYS_HELP + " In a config file, a list."),
    ROTATION_PERIOD("rotation_period", Kind.DURATION, "DURATION", KeySettings.ROTATION_PERIOD_DEFAULT, KeySettings.ROTATION_PERIOD_HELP),
    ROTATION_GRACE("rotation_grace", Kind.DURATION, "DURATION", KeySettings.ROTATION_GRACE_DEFAULT, KeySettings.ROTATION_GRACE_HELP),
    AUDIENCES("audiences", Kind.LIST, "AUD", "(none)",
            "Audiences introspection accepts when a request names none; without it every request must send 'audience' (else 400)."),
    JWKS_MAX_AGE("jwks_max_age", Kind.DURATION, "DURATION", "300s", "max-age of the JWKS and discovery Cache-Control header."),
    LEEWAY("leeway", Kind.DURATION, "DURATION", "60s", "Clock-skew leeway for exp and nbf, at most 5m."),
    INTROSPECTION_REASONS("introspection_reasons", Kind.SWITCH, "true|false", "true",
            "Whether an inactive introspection answer says why (reason); false answers only {\"active\":false}."),
    TLS_CERT("tls_cert", Kind.FILE, "FILE", "(none)", "PEM certificate chain; with tls_key the server speaks HTTPS only."),
    TLS_KEY("tls_key", Kind.FILE, "FILE", "(none)",
            "PEM private key of tls_cert (PKCS#8 or PKCS#1). Must be 0600 (refused when group or others can read it) and is"
                    + " checked against the certificate at start-up."),
    RELOAD_INTERVAL("reload_interval", Kind.DURATION, "DURATION", "2s",
            "How often key files are checked for changes; 0 turns reloading off."),
    SHUTDOWN_GRACE("shutdown_grace", Kind.DURATION, "DURATION", "10s", "On SIGTERM, how long requests in flight may take to finish."),
    EVENT_LOOPS("event_loops", Kind.NUMBER, "N", "(number of CPUs)", "Server instances (event loops) sharing the port."),
    VERIFY_WORKERS("verify_workers", Kind.NUMBER, "N", "(number of CPUs)",
            "Worker threads that verify ES256 and RS256 signatures off the event loop."),
    INLINE_EDDSA("inline_eddsa", Kind.SWITCH, "true|false", "false",
            "Verify EdDSA tokens on the event loop instead of the worker pool; measured equal throughput, so off keeps the event loop free."),
    VERIFY_CACHE_SIZE("verify_cache_size", Kind.NUMBER, "N", "10000",
            "Tokens whose signature check is remembered (by SHA-256, per key-ring version) so repeated introspection of one token"
                    + " costs no signature; exp, nbf, iss and aud are still checked on every call. 0 turns it off."),
    CONCOURSE_URL("concourse_url", Kind.TEXT, "URL", "(none)",
            "Concourse's external URL (https, or http on loopback only): introspection of a token whose build has finished answers"
                    + " active false, reason build_finished."),
    CONCOURSE_USER("concourse_user", Kind.TEXT, "NAME", "(none)", "The Concourse user serve logs in as: a viewer of each team."),
    CONCOURSE_PASSWORD_FILE("concourse_password_file", Kind.FILE, "FILE", "(none)",
            "That user's password, in a file only serve's user may read (0600)."),
    CONCOURSE_CA_FILE("concourse_ca_file", Kind.FILE, "FILE", "(none)", "PEM CA certificates an https Concourse is verified against.");

    /** The kind of value a setting takes: how its environment variable is read and what type its flag has. */
    public enum Kind {
        /** A string. */
        TEXT,
        /** A file path. */
        FILE,
        /** A list of strings: a list in the file, comma-separated in the environment, a repeatable flag. */
        LIST,
        /** A list of file paths, written as {@link #LIST}. */
        FILES,
        /** A duration in the grammar of {@link org.cijwt.config.Durations}. */
        DURATION,
        /** A whole number. */
        NUMBER,
        /** {@code true} or {@code false}. */
        SWITCH;

        public boolean isList() {
            return this == LIST || this == FILES;
        }
    }

    private final String key;
    private final Kind kind;
    private final String label;
    private final String defaultText;
    private final String description;

    Setting(String key, Kind kind, String label, String defaultText, String description) {
        this.key = key;
        this.kind = kind;
        this.label = label;
        this.defaultText = defaultText;
        this.description = description;
    }

    /** The key in the config file, e.g. {@code jwks_max_age}. */
    public String key() {
        return key;
    }

    public Kind kind() {
        return kind;
    }

    /** The environment variable, e.g. {@code CI_JWT_JWKS_MAX_AGE}. */
    public String envVar() {
        return "CI_JWT_" + key.toUpperCase(Locale.ROOT);
    }

    /** The command-line flag, e.g. {@code --jwks-max-age}; the key options keep the names every verb uses. */
    public String flag() {
        return this == VERIFICATION_KEYS ? "--verify-keys" : "--" + key.replace('_', '-');
    }

    /** Whether the flag is the command line's key options', shared with every verb that reads keys, rather than made from this table. */
    public boolean keyOption() {
        return this == KEYS || this == KEY_ID || this == VERIFICATION_KEYS || this == ROTATION_PERIOD || this == ROTATION_GRACE;
    }

    /** The label of one value, e.g. {@code DURATION} or {@code AUD}. */
    public String label() {
        return label;
    }

    /** The value as docs/settings.md shows it: {@code AUD[,AUD...]} for a list. */
    public String valueLabel() {
        return kind.isList() ? label + "[," + label + "...]" : label;
    }

    /** The default as written in docs/settings.md: a value in the setting's own syntax, or a note in parentheses. */
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
