package org.cijwt.vault.client;

import java.time.Duration;
import java.util.Locale;

/**
 * Why a call to Vault gave no usable answer. Each caller turns it into its own error code and,
 * where its documentation fixes one, its own wording (the var source's CJ601/CJ602, Transit's
 * CJ209); the default message is Transit's. No message holds a token, a JWT or a secret id.
 */
public abstract sealed class VaultFailure extends Exception permits VaultFailure.Unreachable, VaultFailure.Refused {
    private static final long serialVersionUID = 1L;

    private final String address;
    private final String what;

    private VaultFailure(String address, String what, String message) {
        super(message, null, false, false);
        this.address = address;
        this.what = what;
    }

    /** The Vault address, without a trailing slash. */
    public String address() {
        return address;
    }

    /** What the call was for, e.g. {@code login at auth/concourse/login}. */
    public String what() {
        return what;
    }

    /**
     * No answer came that could be used: the connection failed, TLS failed, no answer came in time,
     * or Vault answered 502/503/504 until the attempts or the deadline ran out.
     */
    public static final class Unreachable extends VaultFailure {
        private static final long serialVersionUID = 1L;

        private final String failure;
        private final int attempts;
        private final Duration elapsed;

        Unreachable(String address, String what, String failure, int attempts, Duration elapsed, Deadline deadline) {
            super(address, what, "Vault at " + address + ": " + what + " failed: " + failure + " (" + attempts(attempts)
                    + " in " + seconds(elapsed) + (deadline.span() == null ? "" : ", timeout " + seconds(deadline.span()))
                    + ")");
            this.failure = failure;
            this.attempts = attempts;
            this.elapsed = elapsed;
        }

        /** The last attempt's failure, e.g. {@code connection refused} or {@code TLS failed: ...}. */
        public String failure() {
            return failure;
        }

        public int attempts() {
            return attempts;
        }

        public Duration elapsed() {
            return elapsed;
        }
    }

    /** Vault answered, and refused: a login it did not accept, or a token it would not renew. */
    public static final class Refused extends VaultFailure {
        private static final long serialVersionUID = 1L;

        private final int status;
        private final String reason;

        /** @param reason Vault's errors with every credential of the request blanked out */
        Refused(String address, String what, int status, String reason) {
            super(address, what, "Vault at " + address + " refused " + what + ": HTTP " + status
                    + (reason.isEmpty() ? "" : " " + reason));
            this.status = status;
            this.reason = reason;
        }

        /** The status of the refusal; a 2xx means Vault answered without a token. */
        public int status() {
            return status;
        }

        /** Vault's errors, or {@code HTTP <status>} when it gave none. */
        public String reason() {
            return reason.isEmpty() ? "HTTP " + status : reason;
        }
    }

    /** {@code 1 attempt}, {@code 3 attempts}. */
    public static String attempts(int n) {
        return n + (n == 1 ? " attempt" : " attempts");
    }

    /** {@code 4.9 s}. */
    public static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
