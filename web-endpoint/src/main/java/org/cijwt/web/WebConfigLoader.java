package org.cijwt.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cijwt.config.Durations;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * Reads the settings once: the config file (YAML or JSON) first, then environment variables, then
 * flags, each overriding the one before. Unknown file keys and bad values fail naming the setting
 * and where its value came from.
 */
public final class WebConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A raw value and where it came from, for error messages. */
    private record Raw(List<String> values, String origin) {
        String single() {
            return values.isEmpty() ? "" : values.get(values.size() - 1);
        }
    }

    private WebConfigLoader() {
    }

    /**
     * @param file the config file, or null
     * @param env the environment (only {@code CI_JWT_*} names of {@link Setting} are read)
     * @param flags values given on the command line; list settings may have several
     */
    public static WebConfig load(Path file, Map<String, String> env, Map<Setting, List<String>> flags) throws CiJwtException {
        Map<Setting, Raw> raw = new EnumMap<>(Setting.class);
        if (file != null) {
            readFile(file, raw);
        }
        for (Setting s : Setting.values()) {
            String v = env.get(s.envVar());
            if (v != null) {
                raw.put(s, new Raw(isList(s) ? splitList(v) : List.of(v.trim()), s.envVar()));
            }
        }
        flags.forEach((s, v) -> {
            if (v != null && !v.isEmpty()) {
                raw.put(s, new Raw(isList(s) ? v.stream().flatMap(x -> splitList(x).stream()).toList() : v, s.flag()));
            }
        });
        return build(raw);
    }

    private static WebConfig build(Map<Setting, Raw> raw) throws CiJwtException {
        WebConfig.Builder b = WebConfig.builder();
        for (Map.Entry<Setting, Raw> e : raw.entrySet()) {
            Setting s = e.getKey();
            Raw r = e.getValue();
            String v = r.single();
            switch (s) {
                case LISTEN -> {
                    HostPort hp = hostPort(s, r);
                    b.listen(hp.host(), hp.port());
                }
                case ISSUER -> b.issuer(v);
                case KEYS -> b.keys(v);
                case KEY_ID -> b.keyId(v);
                case VERIFICATION_KEYS -> b.verificationKeys(r.values().stream().map(Path::of).toList());
                case ROTATION_PERIOD -> b.rotationPeriod(duration(s, r));
                case ROTATION_GRACE -> b.rotationGrace(duration(s, r));
                case AUDIENCES -> b.audiences(r.values());
                case JWKS_MAX_AGE -> b.jwksMaxAge(duration(s, r));
                case LEEWAY -> b.leeway(duration(s, r));
                case INTROSPECTION_REASONS -> b.introspectionReasons(bool(s, r));
                case TLS_CERT -> b.tls(existingFile(s, r), raw.containsKey(Setting.TLS_KEY) ? existingFile(Setting.TLS_KEY, raw.get(Setting.TLS_KEY)) : null);
                case TLS_KEY -> {
                    if (!raw.containsKey(Setting.TLS_CERT)) {
                        b.tls(null, existingFile(s, r));
                    }
                }
                case RELOAD_INTERVAL -> b.reloadInterval(duration(s, r));
                case SHUTDOWN_GRACE -> b.shutdownGrace(duration(s, r));
                case EVENT_LOOPS -> b.eventLoops(integer(s, r));
                case VERIFY_WORKERS -> b.verifyWorkers(integer(s, r));
                case INLINE_EDDSA -> b.inlineEdDsa(bool(s, r));
                case VERIFY_CACHE_SIZE -> b.verifyCacheSize(integer(s, r));
                default -> throw new IllegalStateException("setting " + s + " has no parser");
            }
        }
        return b.build();
    }

    private static void readFile(Path file, Map<Setting, Raw> raw) throws CiJwtException {
        JsonNode root;
        try {
            byte[] bytes = Files.readAllBytes(file);
            boolean json = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
            root = bytes.length == 0 ? null : (json ? JSON : YAML).readTree(bytes);
        } catch (NoSuchFileException e) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, "config file " + file + " does not exist");
        } catch (JsonProcessingException e) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, "config file " + file + " is not valid YAML or JSON (line "
                    + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ")");
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, "config file " + file + " cannot be read: " + e.getMessage());
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return;
        }
        if (!root.isObject()) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, "config file " + file + " must be a mapping of setting names to values");
        }
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            Setting s = Setting.ofKey(f.getKey()).orElseThrow(() -> new CiJwtException(ErrorCode.SETTING_INVALID,
                    "config file " + file + ": unknown setting '" + f.getKey() + "' (known: "
                            + String.join(", ", java.util.Arrays.stream(Setting.values()).map(Setting::key).toList()) + ")"));
            JsonNode n = f.getValue();
            List<String> values = new ArrayList<>();
            if (n.isArray() && isList(s)) {
                for (JsonNode item : n) {
                    if (!item.isValueNode()) {
                        throw WebConfig.invalid(s, "config file " + file + ": list items must be plain values");
                    }
                    values.add(item.asText());
                }
            } else if (n.isValueNode() && !n.isNull()) {
                values.addAll(isList(s) ? splitList(n.asText()) : List.of(n.asText()));
            } else if (!n.isNull()) {
                throw WebConfig.invalid(s, "config file " + file + ": expected " + (isList(s) ? "a list or a value" : "a plain value"));
            }
            raw.put(s, new Raw(values, "config file " + file));
        }
    }

    private static boolean isList(Setting s) {
        return s == Setting.VERIFICATION_KEYS || s == Setting.AUDIENCES;
    }

    private static List<String> splitList(String v) {
        List<String> out = new ArrayList<>();
        for (String part : v.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    /** A listen address. */
    record HostPort(String host, int port) {
    }

    static HostPort hostPort(Setting s, Raw r) throws CiJwtException {
        String v = r.single();
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            throw bad(s, r, "'" + v + "' is not HOST:PORT (e.g. 127.0.0.1:8080, 0.0.0.0:8443, [::1]:8080)");
        }
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new HostPort(host, Integer.parseInt(v.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw bad(s, r, "'" + v + "' has no numeric port");
        }
    }

    private static Duration duration(Setting s, Raw r) throws CiJwtException {
        try {
            return Durations.parse(r.single());
        } catch (Durations.DurationSyntaxException e) {
            throw bad(s, r, "'" + r.single() + "' " + e.getMessage());
        }
    }

    private static boolean bool(Setting s, Raw r) throws CiJwtException {
        String v = r.single().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw bad(s, r, "'" + r.single() + "' is not true or false");
        };
    }

    private static int integer(Setting s, Raw r) throws CiJwtException {
        try {
            return Integer.parseInt(r.single());
        } catch (NumberFormatException e) {
            throw bad(s, r, "'" + r.single() + "' is not a whole number");
        }
    }

    private static Path existingFile(Setting s, Raw r) throws CiJwtException {
        Path p = Path.of(r.single());
        if (!Files.isReadable(p)) {
            throw bad(s, r, "file " + p + " does not exist or cannot be read");
        }
        return p;
    }

    private static CiJwtException bad(Setting s, Raw r, String message) {
        return WebConfig.invalid(s, message + " (from " + r.origin() + ")");
    }
}
