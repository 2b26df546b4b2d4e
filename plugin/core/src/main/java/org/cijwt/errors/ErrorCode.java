package org.cijwt.errors;

/**
 * Stable identifiers for every kind of error a user can cause, so scripts and docs can refer to
 * them. One code per kind, not per message: the message names the input, the code names the rule.
 * docs/errors.md's error table lists each code with its {@link #summary()}; a test keeps the two equal.
 */
public enum ErrorCode {
    // 1xx: build metadata and the claims made from it
    METADATA_INVALID("CJ101", "build metadata is not valid JSON, has an unknown or duplicate key, or a value of the wrong type"),
    POLICY_INVALID("CJ102", "a claims setting (issuer, audience, lifetime, extra claim) breaks its rule"),
    SUBJECT_INVALID("CJ103", "the subject format or template is not valid, or gives an empty or over-long sub"),

    // 2xx: keys and key sources
    KEY_SOURCE_INVALID("CJ201", "the key source (setting keys) names nothing ci-jwt can read as keys"),
    KEY_FILE_PERMISSIONS("CJ202", "a private key file can be read or written by group or others"),
    KEY_TOO_WEAK("CJ203", "a key is below the minimum strength (RSA under 2048 bits)"),
    KEY_NOT_FOUND("CJ204", "no key has the key id asked for, or no key signs the algorithm asked for"),
    ROTATION_INVALID("CJ205", "the rotation period or grace does not fit the token lifetime"),
    KEY_MALFORMED("CJ206", "a key file or JWK cannot be parsed, or holds a key that is not valid for its type"),
    ALGORITHM_NOT_ALLOWED("CJ207", "an algorithm or key type outside the allow-list EdDSA, ES256, RS256"),
    KEY_STORE_UNSAFE("CJ208", "the key store directory or a file in it is writable by others or owned by another user"),
    KEY_SERVICE_FAILED("CJ209", "the remote key service (Vault Transit) could not sign or list keys in time"),

    // 3xx: tokens
    TOKEN_REJECTED("CJ301", "a token failed verification (signature, algorithm, issuer, audience or time)"),

    // 4xx: settings, configuration files and var references
    SETTING_INVALID("CJ401", "a setting (flag, environment variable or config key) has a value its rule refuses"),
    CONFIG_UNKNOWN_KEY("CJ402", "a configuration file has a key ci-jwt does not know"),
    CONFIG_UNREADABLE("CJ403", "a configuration file cannot be read or is not valid YAML or JSON"),
    OPTIONS_CONFLICT("CJ404", "two settings that cannot be used together were both given"),
    VAR_SYNTAX("CJ405", "a ((var)) reference is not well formed"),
    VAR_UNRESOLVED("CJ406", "a ((var)) reference names an unknown var source or a value it does not have"),
    TLS_INVALID("CJ407", "a TLS certificate or key is unreadable, unsafe or the two do not match"),

    // 5xx: delivery into a container
    DELIVERY_FAILED("CJ501", "tokens could not be written for the container"),
    BUNDLE_INVALID("CJ502", "the OCI bundle or its config.json is missing, unreadable or not a valid runtime spec"),
    MOUNT_CONFLICT("CJ503", "the container already mounts something at or over the token directory"),
    TOKEN_DIR_REFUSED("CJ504", "the token directory exists and was not made by ci-jwt for this container"),
    DELIVERY_RECORD_INVALID("CJ505", "ci-jwt has no trustworthy record of a delivery it is asked to undo or repeat"),
    CONTAINER_CONFLICT("CJ506", "the agent already delivered to a container with this id or bundle"),
    CONTAINER_UNKNOWN("CJ507", "the agent has no delivery for this container id"),
    PROFILE_UNKNOWN("CJ508", "a container asked for a token profile the operator did not define"),
    REQUEST_INVALID("CJ509", "an agent API request is not valid JSON, has an unknown field, or a value of the wrong type"),
    REQUEST_CALLER_REFUSED("CJ510", "the caller on a container's token socket is not a live process of that container"),
    REQUEST_AUDIENCE_REFUSED("CJ511", "a token request names an audience the profile's on_request.audiences does not allow"),
    REQUEST_LIFETIME_REFUSED("CJ512", "a token request asks for a lifetime over on_request.max_ttl or under one minute"),
    REQUEST_RATE_LIMITED("CJ513", "a container asked for tokens faster than its profile's on_request.rate_per_minute"),
    REQUEST_CONTAINER_ENDED("CJ514", "a token request came after the container or its build ended, or the agent stopped serving it"),
    CONTAINER_RUNNING("CJ515", "the agent was asked to forget a container once stopped, and its init process still runs"),

    // 6xx: Vault and OpenBao
    VAULT_FAILED("CJ601", "Vault or OpenBao could not be reached or answered with an error"),
    VAULT_LOGIN_REFUSED("CJ602", "Vault or OpenBao refused the login with the build's token"),
    VAULT_SECRET_NOT_FOUND("CJ603", "no secret at any path the team may read"),

    // 7xx: signed task configs
    SIGNED_STEP_INVALID("CJ701", "a task step cannot be signed or checked: no inline config, not a task step, or a malformed signed_step"),
    CONFIG_NOT_VERIFIED("CJ702", "a task's config is unsigned, signed by an unpinned key, changed, replayed from elsewhere, or differs from what the container runs"),

    // 8xx: Concourse, where build identity comes from
    CONCOURSE_UNAVAILABLE("CJ801", "Concourse did not answer in time, or answered with an error or with something ci-jwt cannot use"),
    CONCOURSE_LOGIN_REFUSED("CJ802", "Concourse refused the login of the configured user"),
    CONCOURSE_PASSWORD_FILE("CJ803", "the Concourse password file is missing, empty, or readable or writable by group or others"),
    CONTAINER_NOT_IN_CONCOURSE("CJ804", "no team the Concourse user can see has a container with this handle"),

    // 9xx: the machine
    IO_FAILED("CJ901", "a file or directory could not be read, written or created");

    private final String id;
    private final String summary;

    ErrorCode(String id, String summary) {
        this.id = id;
        this.summary = summary;
    }

    public String id() {
        return id;
    }

    /** One line for docs/errors.md's error table. */
    public String summary() {
        return summary;
    }
}
