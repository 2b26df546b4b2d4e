package org.cijwt.delivery;

import java.util.regex.Pattern;
import org.cijwt.errors.Printable;

/**
 * The one rule for a container id, wherever one arrives (the agent's API, its records, a delivery
 * record): what runc accepts ({@code [A-Za-z0-9_.+-]}, not starting with a punctuation mark), at
 * most {@value #MAX_LENGTH} characters. Containerd (76), Docker and CRI (64) and Concourse handles
 * (36) all fit, and the id stays a short, safe file-name part and log field.
 */
public final class ContainerId {
    /** The longest id accepted. */
    public static final int MAX_LENGTH = 128;

    private static final Pattern RULE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.+-]{0," + (MAX_LENGTH - 1) + "}");

    private ContainerId() {
    }

    /** Whether {@code id} is a container id by this rule; null is not. */
    public static boolean isValid(String id) {
        return id != null && RULE.matcher(id).matches();
    }

    /**
     * {@code id} itself when valid.
     *
     * @throws IllegalArgumentException naming the id (printable) and the rule when it is not
     */
    public static String requireValid(String id) {
        if (!isValid(id)) {
            throw new IllegalArgumentException("invalid container id \"" + Printable.of(id)
                    + "\": use at most " + MAX_LENGTH + " letters, digits, '_', '.', '+', '-', starting with a letter or digit");
        }
        return id;
    }
}
