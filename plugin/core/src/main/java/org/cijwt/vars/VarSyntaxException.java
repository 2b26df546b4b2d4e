package org.cijwt.vars;

import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/** A {@code ((...))} reference that cannot be parsed; the message names the reference text and the problem. */
public final class VarSyntaxException extends CiJwtException {
    private static final long serialVersionUID = 1L;

    private final String reference;
    private final String problem;

    /**
     * Creates the error for one reference.
     *
     * @param reference the offending reference as written, including its {@code ((} and {@code ))}
     * @param problem what is wrong, as a short phrase
     */
    public VarSyntaxException(String reference, String problem) {
        super(ErrorCode.VAR_SYNTAX, reference + ": " + problem);
        this.reference = reference;
        this.problem = problem;
    }

    /** The offending reference as written, including its {@code ((} and {@code ))}. */
    public String reference() {
        return reference;
    }

    /** What is wrong with the reference, without the reference text. */
    public String problem() {
        return problem;
    }
}
