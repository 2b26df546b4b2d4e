package org.cijwt.delivery;

import java.util.Objects;

/** Something delivery did differently from the plan, such as a task variable that kept its own value. */
public record DeliveryWarning(String variable, String message) {

    public DeliveryWarning {
        Objects.requireNonNull(variable, "variable");
        Objects.requireNonNull(message, "message");
    }

    /** The warning for a task that already sets {@code variable}: its own value wins. */
    static DeliveryWarning taskVariableWins(String variable) {
        return new DeliveryWarning(variable, "the task already sets " + variable
                + "; its own value is kept and ci-jwt's is not added");
    }

    @Override
    public String toString() {
        return message;
    }
}
