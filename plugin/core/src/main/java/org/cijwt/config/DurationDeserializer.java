package org.cijwt.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import java.io.IOException;
import java.time.Duration;
import org.cijwt.errors.ErrorCode;

/**
 * Reads a {@link Duration} in the grammar of {@link Durations}, from a string only: a bare number
 * such as {@code 600} is refused because its unit would be a guess. The number {@code 0} is the one
 * exception, since zero needs no unit and YAML reads the documented {@code 0} as a number.
 */
final class DurationDeserializer extends StdScalarDeserializer<Duration> {
    private static final long serialVersionUID = 1L;

    DurationDeserializer() {
        super(Duration.class);
    }

    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        JsonToken token = p.currentToken();
        if (token == JsonToken.VALUE_STRING) {
            try {
                return Durations.parse(p.getText());
            } catch (Durations.DurationSyntaxException e) {
                throw broken(p, e.getMessage());
            }
        }
        if (token == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT && p.getIntValue() == 0) {
            return Duration.ZERO;
        }
        if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
            throw broken(p, "is a bare number, but a duration needs its unit (" + Durations.EXAMPLES + ")");
        }
        throw broken(p, "must be a duration (" + Durations.EXAMPLES + ")");
    }

    private static JsonMappingException broken(JsonParser p, String rule) {
        return JsonMappingException.from(p, rule, new SettingException(ErrorCode.SETTING_INVALID, "", rule));
    }
}
