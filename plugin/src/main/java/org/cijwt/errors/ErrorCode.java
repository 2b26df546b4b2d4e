package org.cijwt.errors;

/** Stable identifiers for every error a user can cause, so scripts and docs can refer to them. */
public enum ErrorCode {
    METADATA_INVALID("CJ101"),
    POLICY_INVALID("CJ102"),
    KEY_SOURCE_INVALID("CJ201"),
    KEY_FILE_PERMISSIONS("CJ202"),
    KEY_TOO_WEAK("CJ203"),
    KEY_NOT_FOUND("CJ204"),
    ROTATION_INVALID("CJ205"),
    TOKEN_REJECTED("CJ301"),
    CONFIG_INVALID("CJ401"),
    DELIVERY_FAILED("CJ501"),
    VAULT_FAILED("CJ601"),
    IO_FAILED("CJ901");

    private final String id;

    ErrorCode(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
