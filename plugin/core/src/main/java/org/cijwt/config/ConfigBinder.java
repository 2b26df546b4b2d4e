package org.cijwt.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBase;
import com.fasterxml.jackson.databind.deser.DefaultDeserializationContext;
import com.fasterxml.jackson.databind.deser.SettableBeanProperty;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.SecureFiles;

/**
 * Binds configuration files (YAML or JSON) to immutable, validated objects with Jackson, the same way
 * for every file ci-jwt reads, and turns each failure into one line naming the document, the path of
 * the value ({@code tokens[0].ttl}) and the rule it breaks.
 *
 * <p>The rules of binding:
 * <ul>
 *   <li>keys are snake_case; a key the type does not know is {@link ErrorCode#CONFIG_UNKNOWN_KEY};
 *   <li>no coercion: a number where a string belongs, a string where a number or {@code true/false}
 *       belongs, or a single value where a list belongs is {@link ErrorCode#SETTING_INVALID}; in YAML only
 *       {@code true} and {@code false} are booleans ({@code yes}, {@code no}, {@code on}, {@code off} are
 *       strings);
 *   <li>a {@code null} value is refused: leaving the key out is how a default is asked for;
 *   <li>a {@link Duration} is a string in the grammar of {@link Durations} (or the number {@code 0});
 *   <li>a file that cannot be read, is not YAML or JSON, or has a key twice is
 *       {@link ErrorCode#CONFIG_UNREADABLE}.
 * </ul>
 *
 * <p>A bound type is a record with a {@code @JsonCreator} (or a {@code @JsonDeserialize(builder = …)}
 * builder) that checks its own rules, once, and throws {@link SettingException} naming the path of
 * the value that breaks one. Messages never quote a value from the document: Jackson's own exception
 * texts, which do, are replaced by the rule.
 */
public final class ConfigBinder {

    /** Writes one error line from where the value is ({@code tokens[0].ttl}, empty for the whole document) and its rule. */
    @FunctionalInterface
    public interface Where {
        String message(String path, String rule);
    }

    private static final int MAX_KEY_IN_MESSAGE = 64;
    /** Jackson's message for a key given twice; only a plain name is shown, so no value can come back through it. */
    private static final Pattern DUPLICATE_KEY = Pattern.compile("Duplicate field '([A-Za-z0-9_.-]{1,64})'");

    private ConfigBinder() {
    }

    /** Messages of the form {@code <origin>: <path>: <rule>}, e.g. {@code pre-flight config c.yml: tokens[0].ttl: is not a duration}. */
    public static Where in(String origin) {
        return (path, rule) -> path.isEmpty() ? origin + ": " + rule : origin + ": " + path + ": " + rule;
    }

    /**
     * Parses YAML (or JSON, which YAML includes) and binds it to {@code type}.
     *
     * @param origin names the text in error messages, e.g. {@code pre-flight config /etc/ci-jwt/p.yml}
     */
    public static <T> T read(String yamlOrJson, Class<T> type, String origin) throws CiJwtException {
        return bind(parse(yamlOrJson, false, origin), type, in(origin));
    }

    /**
     * Reads a file (JSON when its name ends in {@code .json}, else YAML) and binds it to {@code type};
     * errors name it as {@code <what> <file>}.
     */
    public static <T> T read(Path file, Class<T> type, String what) throws CiJwtException {
        String origin = what + " " + file;
        return bind(readTree(file, origin), type, in(origin));
    }

    /**
     * Reads a file into a tree without binding it, for callers that merge several sources (a file,
     * environment variables, flags) before {@link #bind}. An empty file is an empty mapping.
     */
    public static JsonNode readTree(Path file, String origin) throws CiJwtException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, origin + " does not exist");
        } catch (CharacterCodingException e) {
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, origin + " is not UTF-8 text");
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, origin + " cannot be read: " + SecureFiles.reason(e));
        }
        boolean json = file.getFileName() != null
                && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
        return parse(text, json, origin);
    }

    /**
     * Parses YAML (or JSON) text into a tree without binding it, for callers that bind parts of a
     * larger document (the {@code var_sources} entries of a pipeline) with {@link #bind}. An empty
     * text is an empty mapping.
     */
    public static JsonNode readTree(String yamlOrJson, String origin) throws CiJwtException {
        return parse(yamlOrJson, false, origin);
    }

    /**
     * Binds a tree to {@code type}; every failure becomes one {@link CiJwtException} whose message
     * {@code where} writes from the value's path and the rule.
     */
    public static <T> T bind(JsonNode tree, Class<T> type, Where where) throws CiJwtException {
        refuseNulls(tree, "", where);
        refuseUnknownKeys(tree, Binding.MAPPER.constructType(type), "", where);
        try {
            return Binding.MAPPER.treeToValue(tree, type);
        } catch (JsonMappingException e) {
            throw translate(e, tree, where);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("binding a parsed tree to " + type.getSimpleName() + " failed", e);
        }
    }

    /** The keys {@code type} accepts at its top level, sorted; lets a test hold a settings table against the type. */
    public static Set<String> keys(Class<?> type) {
        Set<String> keys = new TreeSet<>();
        if (deserializer(Binding.MAPPER.constructType(type)) instanceof BeanDeserializerBase bean) {
            bean.getKnownPropertyNames().forEach(k -> keys.add(k.toString()));
        }
        return keys;
    }

    private static JsonDeserializer<Object> deserializer(JavaType type) {
        try {
            return Binding.context().findRootValueDeserializer(type);
        } catch (JsonMappingException e) {
            throw new IllegalStateException(type + " cannot be bound", e);
        }
    }

    /**
     * Reports a key no type knows before any value is bound: Jackson would call a creator first, so
     * a creator's rule ("tokens is required") would hide the misspelt key that caused it.
     */
    private static void refuseUnknownKeys(JsonNode node, JavaType type, String path, Where where) throws CiJwtException {
        if (node.isArray() && type.isContainerType() && type.getContentType() != null) {
            for (int i = 0; i < node.size(); i++) {
                refuseUnknownKeys(node.get(i), type.getContentType(), path + "[" + i + "]", where);
            }
            return;
        }
        if (!node.isObject()) {
            return;
        }
        if (type.isMapLikeType()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                refuseUnknownKeys(field.getValue(), type.getContentType(), join(path, field.getKey()), where);
            }
            return;
        }
        if (!(deserializer(type) instanceof BeanDeserializerBase bean)) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            SettableBeanProperty property = bean.findProperty(field.getKey());
            if (property == null) {
                throw new CiJwtException(ErrorCode.CONFIG_UNKNOWN_KEY, where.message(path, "unknown key '" + printable(field.getKey())
                        + "' (known keys: " + String.join(", ", ordered(bean.getKnownPropertyNames(), type.getRawClass())) + ")"));
            }
            refuseUnknownKeys(field.getValue(), property.getType(), join(path, field.getKey()), where);
        }
    }

    private static JsonNode parse(String text, boolean json, String origin) throws CiJwtException {
        JsonNode root;
        try {
            root = (json ? Parsing.JSON : Parsing.YAML).readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String place = at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            // While reading a tree, the one mismatch Jackson reports is a key given twice.
            String reason = e instanceof MismatchedInputException ? " (a key appears twice" + duplicateKey(e) + ")" : "";
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, origin + " is not valid YAML or JSON" + place + reason);
        }
        return root == null || root.isMissingNode() ? JsonNodeFactory.instance.objectNode() : root;
    }

    /** {@code ": url"} for Jackson's "Duplicate field 'url'", when the key is a plain name; empty otherwise. */
    private static String duplicateKey(JsonProcessingException e) {
        Matcher m = DUPLICATE_KEY.matcher(String.valueOf(e.getOriginalMessage()));
        return m.lookingAt() ? ": " + m.group(1) : "";
    }

    private static void refuseNulls(JsonNode node, String path, Where where) throws CiJwtException {
        if (node.isNull()) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID,
                    where.message(path, "has no value (leave the key out to use its default)"));
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                refuseNulls(field.getValue(), join(path, field.getKey()), where);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                refuseNulls(node.get(i), path + "[" + i + "]", where);
            }
        }
    }

    private static CiJwtException translate(JsonMappingException e, JsonNode tree, Where where) {
        List<JsonMappingException.Reference> refs = e.getPath();
        String at = path(refs);
        SettingException rule = causeOf(e, SettingException.class);
        if (rule != null) {
            return new CiJwtException(rule.code(), where.message(join(at, rule.path()), rule.rule()));
        }
        CiJwtException other = causeOf(e, CiJwtException.class);
        if (other != null) {
            return new CiJwtException(other.code(), where.message(at, other.getMessage()));
        }
        if (e instanceof UnrecognizedPropertyException u) {
            String parent = path(refs.subList(0, Math.max(0, refs.size() - 1)));
            return new CiJwtException(ErrorCode.CONFIG_UNKNOWN_KEY, where.message(parent,
                    "unknown key '" + printable(u.getPropertyName()) + "' (known keys: "
                            + String.join(", ", ordered(u.getKnownPropertyIds(), u.getReferringClass())) + ")"));
        }
        if (e instanceof ValueInstantiationException && e.getCause() instanceof RuntimeException bug) {
            // A creator failed in a way no rule describes: a bug, reported as an internal error.
            throw bug;
        }
        if (causeOf(e, InputCoercionException.class) != null) {
            return new CiJwtException(ErrorCode.SETTING_INVALID, where.message(at, "is a number out of range"));
        }
        if (e instanceof MismatchedInputException m) {
            JsonNode found = nodeAt(tree, refs);
            String expected = expected(m.getTargetType());
            String actual = kind(found);
            return new CiJwtException(ErrorCode.SETTING_INVALID, where.message(at, found.isMissingNode() ? "is required"
                    : "must be " + expected + (actual.isEmpty() || actual.equals(expected) ? "" : ", not " + actual)));
        }
        throw new IllegalStateException("cannot bind the value at '" + at + "'", e);
    }

    private static <X extends Throwable> X causeOf(Throwable e, Class<X> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (b.length() > 0) {
                    b.append('.');
                }
                b.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static String join(String parent, String child) {
        if (parent.isEmpty()) {
            return child;
        }
        if (child.isEmpty()) {
            return parent;
        }
        return child.startsWith("[") ? parent + child : parent + "." + child;
    }

    private static JsonNode nodeAt(JsonNode tree, List<JsonMappingException.Reference> refs) {
        JsonNode node = tree;
        for (JsonMappingException.Reference r : refs) {
            node = r.getFieldName() != null ? node.path(r.getFieldName()) : node.path(r.getIndex());
        }
        return node;
    }

    private static String expected(Class<?> target) {
        if (target == null) {
            return "of another type";
        }
        if (target == String.class || target == CharSequence.class || Path.class.isAssignableFrom(target)) {
            return "a string";
        }
        if (target == int.class || target == Integer.class || target == long.class || target == Long.class
                || target == short.class || target == Short.class || target == BigInteger.class) {
            return "a whole number";
        }
        if (target == boolean.class || target == Boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(target) || target == double.class || target == float.class) {
            return "a number";
        }
        if (Collection.class.isAssignableFrom(target) || target.isArray()) {
            return "a list";
        }
        if (target == Duration.class) {
            return "a duration (" + Durations.EXAMPLES + ")";
        }
        if (target.isEnum()) {
            List<String> names = new ArrayList<>();
            for (Object c : target.getEnumConstants()) {
                names.add(c.toString());
            }
            return "one of " + String.join(", ", names);
        }
        return "a mapping";
    }

    private static String kind(JsonNode node) {
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isIntegralNumber()) {
            return "a whole number";
        }
        if (node.isNumber()) {
            return "a number";
        }
        if (node.isBoolean()) {
            return "true or false";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isObject()) {
            return "a mapping";
        }
        return "";
    }

    /** The known keys in the order the record declares them (the order of its documentation), others sorted after. */
    private static List<String> ordered(Collection<Object> known, Class<?> owner) {
        Set<String> rest = new TreeSet<>();
        if (known != null) {
            known.forEach(k -> rest.add(k.toString()));
        }
        List<String> out = new ArrayList<>();
        if (owner != null && owner.isRecord()) {
            for (var component : owner.getRecordComponents()) {
                String key = new PropertyNamingStrategies.SnakeCaseStrategy().translate(component.getName());
                if (rest.remove(key)) {
                    out.add(key);
                }
            }
        }
        out.addAll(rest);
        return out;
    }

    /** A key as it may be shown: keys are names, not secrets, but a pasted secret must not come back whole. */
    private static String printable(String key) {
        String clean = key == null ? "" : key.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > MAX_KEY_IN_MESSAGE ? clean.substring(0, MAX_KEY_IN_MESSAGE) + "..." : clean;
    }

    /** The parsers; loaded on first use only, so a command without a config file never pays for the YAML parser. */
    private static final class Parsing {
        static final ObjectMapper YAML = YAMLMapper.builder()
                .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
                .enable(YAMLParser.Feature.EMPTY_DOCUMENT_AS_EMPTY_OBJECT)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .build();
        static final ObjectMapper JSON = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .build();
    }

    /** The one mapper every configuration type is bound with. */
    private static final class Binding {
        static final ObjectMapper MAPPER = mapper();

        /** A context for looking deserializers up (they are cached by the mapper); one per call, as contexts are not shared. */
        static DefaultDeserializationContext context() {
            return ((DefaultDeserializationContext) MAPPER.getDeserializationContext())
                    .createDummyInstance(MAPPER.getDeserializationConfig());
        }

        private static ObjectMapper mapper() {
            ObjectMapper mapper = JsonMapper.builder()
                    .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                    .disable(MapperFeature.USE_GETTERS_AS_SETTERS)
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                    .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                    .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                    .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                    .addModule(new SimpleModule("ci-jwt-config").addDeserializer(Duration.class, new DurationDeserializer()))
                    .build();
            mapper.coercionConfigFor(LogicalType.Textual)
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
            return mapper;
        }
    }
}
