package org.cijwt.delivery;

import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/** Token delivery into a container was refused or failed; the message never contains a token. */
public final class DeliveryException extends CiJwtException {
    private static final long serialVersionUID = 1L;

    /** A failure to write what the delivery needs ({@link ErrorCode#DELIVERY_FAILED}). */
    public DeliveryException(String message) {
        super(ErrorCode.DELIVERY_FAILED, message);
    }

    /** A failure to write what the delivery needs ({@link ErrorCode#DELIVERY_FAILED}). */
    public DeliveryException(String message, Throwable cause) {
        super(ErrorCode.DELIVERY_FAILED, message, cause);
    }

    /** A delivery refused or failed for the reason {@code code} names. */
    public DeliveryException(ErrorCode code, String message) {
        super(code, message);
    }

    /** A delivery refused or failed for the reason {@code code} names. */
    public DeliveryException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }
}
