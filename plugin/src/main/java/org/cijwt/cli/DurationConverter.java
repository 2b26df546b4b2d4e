package org.cijwt.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Reads durations the way operators write them: {@code 90s}, {@code 10m}, {@code 1h30m}, {@code 7d}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    public static Duration parse(String value) {
        String v = value.trim().toLowerCase();
        if (v.isEmpty()) {
            throw new CommandLine.TypeConversionException("'' is not a duration (use e.g. 90s, 10m, 1h, 7d)");
        }
        Matcher m = PART.matcher(v);
        Duration total = Duration.ZERO;
        int at = 0;
        while (m.find()) {
            if (m.start() != at) {
                break;
            }
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
        if (at != v.length()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (use e.g. 90s, 10m, 1h, 7d)");
        }
        return total;
    }
}
