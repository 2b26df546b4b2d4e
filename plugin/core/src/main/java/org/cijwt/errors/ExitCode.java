package org.cijwt.errors;

/** The exit codes of every {@code ci-jwt} command, documented in docs/errors.md. */
public final class ExitCode {
    /** The command did what was asked. */
    public static final int OK = 0;
    /** Input was rejected: a bad token, metadata, key, setting or file; the message names it. */
    public static final int REJECTED = 1;
    /** The command line itself was wrong: an unknown option, a missing argument. */
    public static final int USAGE = 2;
    /** A failure that is not the user's: a bug or an unexpected environment; set CI_JWT_DEBUG=1 for the stack trace. */
    public static final int INTERNAL = 3;

    private ExitCode() {
    }
}
