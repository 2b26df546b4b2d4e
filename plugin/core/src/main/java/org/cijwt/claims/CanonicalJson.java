package org.cijwt.claims;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;
import org.erdtman.jcs.JsonCanonicalizer;
import org.erdtman.jcs.NumberToJSON;

/**
 * Instance-var values as typed JSON with one spelling each: {@link #normalize} turns parsed JSON
 * into plain Java values (String, Boolean, Long, Double, null, sorted Map, List) and refuses a
 * number that RFC 8785 cannot keep exactly; {@link #text} writes a value as RFC 8785 canonical
 * JSON (sorted keys, one number format), so two values have the same text only if they are the
 * same JSON value. That is what lets a {@code sub} show a typed value without two builds sharing it.
 */
final class CanonicalJson {
    /** Integers up to 2^53 are exact as IEEE doubles, and so in RFC 8785. */
    private static final double MAX_EXACT_INTEGER = 9007199254740992d;
    private static final ObjectMapper JSON = new ObjectMapper();

    private CanonicalJson() {
    }

    /** A parsed JSON value as plain Java values; {@code path} names it in errors (e.g. {@code instance_vars.branch}). */
    static Object normalize(JsonNode node, String origin, String path) throws CiJwtException {
        if (node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isNumber()) {
            return number(node, origin, path);
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                list.add(normalize(node.get(i), origin, path + "[" + i + "]"));
            }
            return Collections.unmodifiableList(list);
        }
        if (node.isObject()) {
            // Sorted as RFC 8785 sorts members (by UTF-16 code units: String's natural order).
            Map<String, Object> map = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                map.put(e.getKey(), normalize(e.getValue(), origin, path + "." + e.getKey()));
            }
            return Collections.unmodifiableMap(map);
        }
        throw invalid(origin, path, "is not a JSON value");
    }

    /** Any Java value a library caller put in instance vars, normalized as if it had been parsed. */
    static Object normalize(Object value, String origin, String path) throws CiJwtException {
        requireJsonTypes(value, origin, path);
        JsonNode node;
        try {
            node = JSON.valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw invalid(origin, path, "is not a JSON value");
        }
        return normalize(node, origin, path);
    }

    /** RFC 8785 canonical JSON of a value (normalized or not). */
    static String text(Object value, String origin, String path) throws CiJwtException {
        Object normalized = normalize(value, origin, path);
        try {
            // The canonicalizer takes an object or array only: wrap the value in a one-element array.
            String array = new JsonCanonicalizer("[" + JSON.writeValueAsString(normalized) + "]").getEncodedString();
            return array.substring(1, array.length() - 1);
        } catch (IOException e) {
            throw invalid(origin, path, "cannot be written as canonical JSON");
        }
    }

    private static Object number(JsonNode node, String origin, String path) throws CiJwtException {
        BigDecimal exact = node.decimalValue();
        double d = node.isDouble() || node.isFloat() ? node.doubleValue() : exact.doubleValue();
        String canonical;
        try {
            canonical = Double.isFinite(d) ? NumberToJSON.serializeNumber(d) : null;
        } catch (IOException e) {
            canonical = null;
        }
        // RFC 8785 numbers are IEEE doubles: 12345678901234567890 would come out as ...7000, the
        // same as another build's number, so such a number is refused rather than rounded.
        // A Java double (from a library caller) is exact by definition; only parsed text can hold more digits.
        boolean exactAlready = node.isDouble() || node.isFloat();
        if (canonical == null || (!exactAlready && new BigDecimal(canonical).compareTo(exact) != 0)) {
            throw invalid(origin, path, "is the number " + exact.toString()
                    + ", which canonical JSON (RFC 8785) cannot keep exactly; quote it as a string");
        }
        if (d == Math.rint(d) && Math.abs(d) <= MAX_EXACT_INTEGER) {
            return (long) d;
        }
        return d;
    }

    private static void requireJsonTypes(Object value, String origin, String path) throws CiJwtException {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Number) {
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw invalid(origin, path, "has a key that is not a string");
                }
                requireJsonTypes(e.getValue(), origin, path + "." + key);
            }
            return;
        }
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                requireJsonTypes(list.get(i), origin, path + "[" + i + "]");
            }
            return;
        }
        throw invalid(origin, path, "is a " + value.getClass().getSimpleName() + ", not a JSON value");
    }

    private static CiJwtException invalid(String origin, String path, String problem) {
        return new CiJwtException(ErrorCode.METADATA_INVALID, origin + ": " + Printable.of(path) + " " + problem);
    }
}
