package org.cijwt.errors;

/**
 * A failure caused by input the user can fix: the message is one sentence that names the input
 * and what is wrong with it, and never contains key material or a token.
 */
public class CiJwtException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public CiJwtException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public CiJwtException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    /** The line shown to a user: code and sentence. */
    public String userMessage() {
        return code.id() + " " + getMessage();
    }
}
