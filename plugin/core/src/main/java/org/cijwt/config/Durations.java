package org.cijwt.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration grammar of ci-jwt, for flags, configuration files and environment variables
 * alike: one or more parts of a whole number and a unit, {@code ms s m h d}, written in lower case
 * ({@code 90s}, {@code 10m}, {@code 1h30m}, {@code 7d}); the bare {@code 0} is zero, which is how
 * settings that document "0 turns it off" are switched off. Upper-case units are refused so that
 * {@code 1M} cannot be misread as a month.
 */
public final class Durations {
    /** The examples every error message shows. */
    public static final String EXAMPLES = "e.g. 90s, 10m, 1h, 7d, or 0";

    private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
    private static final long MAX_DAYS = 100L * 365;

    private Durations() {
    }

    /** Parses {@code text}; the exception's message says what is wrong without naming the setting. */
    public static Duration parse(String text) throws DurationSyntaxException {
        if (text == null || text.isEmpty()) {
            throw new DurationSyntaxException("is empty, not a duration (" + EXAMPLES + ")");
        }
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(text);
        Duration total = Duration.ZERO;
        int at = 0;
        while (at < text.length() && m.find(at) && m.start() == at) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
            at = m.end();
        }
        if (at != text.length()) {
            String hint = text.chars().allMatch(Character::isDigit) ? "a unit is required; "
                    : !text.equals(text.toLowerCase(java.util.Locale.ROOT)) ? "units are lower case; " : "";
            throw new DurationSyntaxException("is not a duration (" + hint + EXAMPLES + ")");
        }
        if (total.toDays() > MAX_DAYS) {
            throw new DurationSyntaxException("is longer than " + MAX_DAYS + " days");
        }
        return total;
    }

    /** Writes {@code d} in the same grammar, largest units first ({@code 1h30m}, {@code 0}). */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0";
        }
        StringBuilder b = new StringBuilder();
        long ms = d.toMillis();
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < sizes.length; i++) {
            if (ms >= sizes[i]) {
                b.append(ms / sizes[i]).append(units[i]);
                ms %= sizes[i];
            }
        }
        return b.toString();
    }

    /** A duration that does not follow the grammar; the message completes "setting X ...". */
    public static final class DurationSyntaxException extends Exception {
        private static final long serialVersionUID = 1L;

        DurationSyntaxException(String message) {
            super(message);
        }
    }
}
