package org.cijwt.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.cijwt.config.ConfigBinder;
import org.cijwt.config.SettingException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * Reads the settings once: the config file (YAML, or JSON when its name ends in {@code .json}) first,
 * then {@code CI_JWT_*} environment variables, then flags, each overriding the one before. The three
 * are merged into one document, which {@link ConfigBinder} binds to {@link WebConfig}; every error
 * names the setting and where its value came from, and never quotes the value.
 */
public final class WebConfigLoader {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private WebConfigLoader() {
    }

    /**
     * @param file the config file, or null
     * @param env the environment (only the {@link Setting#envVar()} names are read)
     * @param flags the values given on the command line, as text; a list setting may have several
     */
    public static WebConfig load(Path file, Map<String, String> env, Map<Setting, List<String>> flags) throws CiJwtException {
        ObjectNode settings = NODES.objectNode();
        Map<Setting, String> origins = new EnumMap<>(Setting.class);
        if (file != null) {
            readFile(file, settings, origins);
        }
        for (Setting s : Setting.values()) {
            String v = env.get(s.envVar());
            if (v != null) {
                origins.put(s, s.envVar());
                settings.set(s.key(), fromText(s, List.of(v), s.envVar()));
            }
        }
        for (Map.Entry<Setting, List<String>> flag : flags.entrySet()) {
            if (flag.getValue() != null && !flag.getValue().isEmpty()) {
                Setting s = flag.getKey();
                origins.put(s, s.flag());
                settings.set(s.key(), fromText(s, flag.getValue(), s.flag()));
            }
        }
        return ConfigBinder.bind(settings, WebConfig.class, (path, rule) -> message(path, rule, origins));
    }

    private static void readFile(Path file, ObjectNode settings, Map<Setting, String> origins) throws CiJwtException {
        String origin = "config file " + file;
        JsonNode root = ConfigBinder.readTree(file, origin);
        if (!root.isObject()) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, origin + ": must be a mapping of setting names to values");
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = root.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            Setting s = Setting.ofKey(field.getKey()).orElseThrow(() -> new CiJwtException(ErrorCode.CONFIG_UNKNOWN_KEY,
                    origin + ": unknown setting '" + printable(field.getKey()) + "' (known: "
                            + Stream.of(Setting.values()).map(Setting::key).collect(Collectors.joining(", ")) + ")"));
            origins.put(s, origin);
            settings.set(s.key(), field.getValue());
        }
    }

    /**
     * An environment variable's or a flag's text as the value a file would hold: a list is split at
     * commas, a number or {@code true/false} must be written as one. Durations stay text for the one
     * duration grammar to read.
     */
    private static JsonNode fromText(Setting s, List<String> texts, String origin) throws SettingException {
        if (s.kind().isList()) {
            ArrayNode list = NODES.arrayNode();
            for (String text : texts) {
                for (String part : text.split(",")) {
                    if (!part.isBlank()) {
                        list.add(part.trim());
                    }
                }
            }
            return list;
        }
        String v = texts.get(texts.size() - 1).trim();
        return switch (s.kind()) {
            case NUMBER -> {
                if (!v.matches("[+-]?\\d{1,18}")) {
                    throw new SettingException(ErrorCode.SETTING_INVALID, s.key(), "must be a whole number (from " + origin + ")");
                }
                yield NODES.numberNode(Long.parseLong(v));
            }
            case SWITCH -> switch (v.toLowerCase(Locale.ROOT)) {
                case "true" -> NODES.booleanNode(true);
                case "false" -> NODES.booleanNode(false);
                default -> throw new SettingException(ErrorCode.SETTING_INVALID, s.key(), "must be true or false (from " + origin + ")");
            };
            default -> NODES.textNode(v);
        };
    }

    /** {@code setting leeway: <rule> (from CI_JWT_LEEWAY)}: the setting is the first part of the path. */
    private static String message(String path, String rule, Map<Setting, String> origins) {
        String key = path.split("[.\\[]", 2)[0];
        String origin = Setting.ofKey(key).map(origins::get).orElse(null);
        return "setting " + (path.isEmpty() ? "(all)" : path) + ": " + rule + (origin == null ? "" : " (from " + origin + ")");
    }

    private static String printable(String key) {
        String clean = key.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > 64 ? clean.substring(0, 64) + "..." : clean;
    }
}
