package org.cijwt.delivery;

import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/** Token delivery into a container was refused or failed; the message never contains a token. */
public final class DeliveryException extends CiJwtException {
    private static final long serialVersionUID = 1L;

    public DeliveryException(String message) {
        super(ErrorCode.DELIVERY_FAILED, message);
    }

    public DeliveryException(String message, Throwable cause) {
        super(ErrorCode.DELIVERY_FAILED, message, cause);
    }
}
