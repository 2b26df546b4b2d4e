package org.cijwt.vars;

import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * A well-formed reference that cannot be resolved: its source is unknown, the secret or field is
 * missing, or the source failed. The message never contains a resolved value.
 */
public final class VarResolutionException extends CiJwtException {
    private static final long serialVersionUID = 1L;

    /** Creates a resolution error for a problem in the configuration (unknown source, missing var). */
    public VarResolutionException(String message) {
        super(ErrorCode.VAR_UNRESOLVED, message);
    }

    /** Creates a resolution error with a specific code, e.g. {@link ErrorCode#VAULT_FAILED} from a var source. */
    public VarResolutionException(ErrorCode code, String message) {
        super(code, message);
    }

    /** Creates a resolution error with a specific code and the failure that caused it. */
    public VarResolutionException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }
}
