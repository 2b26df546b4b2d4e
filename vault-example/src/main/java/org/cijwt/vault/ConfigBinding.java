package org.cijwt.vault;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.config.Durations;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * Strict Jackson binding of the Vault var source's YAML into records: unknown keys, duplicate keys
 * and a value of the wrong JSON type (a string where a number belongs, a number where a string
 * belongs) are errors that name the key's path ({@code var_sources[0].config.retry_max}) and the
 * rule, and never quote the value, which may be a secret.
 *
 * <p>Written for this package while the shared binding helper of {@code org.cijwt.config} is being
 * made; it has the same shape (read a tree, bind a record at a path, read a duration at a path) so
 * that switching to the shared one changes the calls here and nothing in the records.
 */
final class ConfigBinding {

    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '([A-Za-z0-9_.-]{1,64})'");

    /** Jackson refuses, instead of converting, every scalar of another type; lists are never made from one value. */
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfigDefaults(c -> c.setAcceptBlankAsEmpty(false)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail))
            .withCoercionConfig(LogicalType.Textual, c -> c
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .withCoercionConfig(LogicalType.Integer, c -> c
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .withCoercionConfig(LogicalType.Boolean, c -> c
                    .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail))
            .build();

    private ConfigBinding() {
    }

    /** Parses YAML (or JSON) text; {@code what} names it in the error, which gives a position but no content. */
    static JsonNode readTree(String text, String what) throws CiJwtException {
        Objects.requireNonNull(text, what);
        try {
            JsonNode tree = YAML.readTree(text);
            return tree == null || tree.isMissingNode() ? YAML.nullNode() : tree;
        } catch (JsonProcessingException e) {
            Matcher duplicate = DUPLICATE.matcher(String.valueOf(e.getOriginalMessage()));
            if (duplicate.find()) {
                throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, what + ": key '" + duplicate.group(1)
                        + "' is given twice" + at(e));
            }
            // The parser's own message can quote the text around the error, which may hold a secret.
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, what + " is not valid YAML" + at(e));
        }
    }

    private static String at(JsonProcessingException e) {
        return e.getLocation() == null || e.getLocation().getLineNr() < 1 ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }

    /**
     * Binds {@code node} to the record {@code type}; {@code path} is where the node sits (e.g.
     * {@code var_sources[0]}) and begins every error.
     */
    static <T> T bind(JsonNode node, Class<T> type, String path) throws CiJwtException {
        if (node == null || !node.isObject()) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, path + ": must be a map");
        }
        try {
            return YAML.treeToValue(node, type);
        } catch (UnrecognizedPropertyException e) {
            List<String> known = new ArrayList<>();
            Collection<Object> ids = e.getKnownPropertyIds() == null ? List.of() : e.getKnownPropertyIds();
            ids.forEach(id -> known.add(String.valueOf(id)));
            known.sort(null);
            throw new CiJwtException(ErrorCode.CONFIG_UNKNOWN_KEY, join(path, e.getPath())
                    + ": unknown key (known: " + String.join(", ", known) + ")");
        } catch (MismatchedInputException e) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, join(path, e.getPath()) + ": must be "
                    + expected(e.getTargetType()));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            // Not reached with the records of this package; the message still names no value.
            throw new CiJwtException(ErrorCode.SETTING_INVALID, path + ": cannot be read as settings");
        }
    }

    private static String expected(Class<?> target) {
        if (target == null) {
            return "of another type";
        }
        if (target == String.class) {
            return "a string";
        }
        if (target == Integer.class || target == int.class || target == Long.class || target == long.class) {
            return "a whole number";
        }
        if (target == Boolean.class || target == boolean.class) {
            return "true or false";
        }
        if (Collection.class.isAssignableFrom(target) || target.isArray()) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(target) || target.isRecord()) {
            return "a map";
        }
        return "of another type";
    }

    /** {@code var_sources[0]} + [config, url] = {@code var_sources[0].config.url}. */
    static String join(String path, List<JsonMappingException.Reference> references) {
        StringBuilder out = new StringBuilder(path);
        for (JsonMappingException.Reference ref : references) {
            if (ref.getFieldName() != null) {
                String joined = key(out.toString(), ref.getFieldName());
                out.setLength(0);
                out.append(joined);
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    /**
     * A key's path below {@code path}: {@code path.key}; below a file name written with a colon
     * ({@code vault.yml:}) it is {@code vault.yml: key}.
     */
    static String key(String path, String key) {
        return path.isEmpty() ? key : path.endsWith(":") ? path + " " + key : path + "." + key;
    }

    /**
     * Reads a duration in the one grammar of {@link Durations}; zero is refused here, because no
     * duration of the Vault var source documents "0 turns it off".
     *
     * @param min the shortest allowed value, at least 1 ms
     * @param max the longest allowed value
     */
    static Duration duration(Optional<String> text, Duration fallback, String path, Duration min, Duration max)
            throws CiJwtException {
        if (text.isEmpty()) {
            return fallback;
        }
        Duration d;
        try {
            d = Durations.parse(text.get());
        } catch (Durations.DurationSyntaxException e) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, path + ": " + e.getMessage());
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, path + ": must be from " + Durations.format(min)
                    + " to " + Durations.format(max));
        }
        return d;
    }
}
