package org.cijwt.config;

import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * A configuration value that breaks a rule, located by its path ({@code tokens[0].ttl}, {@code leeway}).
 * A type bound by {@link ConfigBinder} throws it from its {@code @JsonCreator} or its builder's
 * {@code build()}, with the path relative to that object, or from a deserializer or a builder's
 * one-value method, with the empty path (that value itself); the binder prefixes the path Jackson was
 * at and names the document the value came from.
 *
 * <p>The rule is a phrase that follows "path:", such as {@code is not a duration} or
 * {@code ttl 48h is outside [1m, 24h]}; it must not quote a value that may be a secret.
 */
public class SettingException extends CiJwtException {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final String rule;

    /**
     * @param code the kind of error
     * @param path where the value is, relative to the object (or value) being built; empty for that itself
     * @param rule what is wrong, as a phrase that follows "path:"
     */
    public SettingException(ErrorCode code, String path, String rule) {
        super(code, path.isEmpty() ? rule : "setting " + path + ": " + rule);
        this.path = path;
        this.rule = rule;
    }

    /** Where the value is, relative to the object whose creator threw this; empty for the object itself. */
    public String path() {
        return path;
    }

    /** What is wrong with the value, without naming where it is. */
    public String rule() {
        return rule;
    }
}
