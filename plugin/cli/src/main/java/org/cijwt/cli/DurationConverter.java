package org.cijwt.cli;

import java.time.Duration;
import org.cijwt.config.Durations;
import picocli.CommandLine;

/** Reads a duration flag in the one grammar of {@link Durations}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        try {
            return Durations.parse(value);
        } catch (Durations.DurationSyntaxException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' " + e.getMessage());
        }
    }
}
