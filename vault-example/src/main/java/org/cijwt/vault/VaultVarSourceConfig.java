package org.cijwt.vault;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * One {@code type: vault} entry of a pipeline's {@code var_sources}, with the keys the job-JWT RFC
 * names ({@code url}, {@code path_prefix}, {@code lookup_templates}, {@code shared_path},
 * {@code namespace}, {@code auth_path}, {@code auth_type: jwt}, {@code auth_role}) plus the
 * token audience, TLS, timeouts and retries; parsed and validated once.
 *
 * <p>{@code audience} defaults to {@code url} (without a trailing slash), the value Vault's own
 * documentation suggests for {@code bound_audiences}.
 */
public record VaultVarSourceConfig(
        String name,
        URI url,
        String pathPrefix,
        List<String> lookupTemplates,
        Optional<String> sharedPath,
        Optional<String> namespace,
        String authPath,
        String authType,
        String authRole,
        String audience,
        Duration tokenTtl,
        Tls tls,
        Duration connectTimeout,
        Duration loginTimeout,
        Duration queryTimeout,
        int retryMax,
        Duration retryInitial) {

    /** The only {@code auth_type} this source implements. */
    public static final String AUTH_TYPE_JWT = "jwt";
    public static final String DEFAULT_PATH_PREFIX = "/concourse";
    public static final List<String> DEFAULT_LOOKUP_TEMPLATES =
            List.of("/{{.Team}}/{{.Pipeline}}/{{.Secret}}", "/{{.Team}}/{{.Secret}}");
    /** Vault's default mount path of the JWT auth method. */
    public static final String DEFAULT_AUTH_PATH = "jwt";
    /** The minted token is only used to log in, so it lives briefly. */
    public static final Duration DEFAULT_TOKEN_TTL = Duration.ofMinutes(5);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_LOGIN_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(15);
    public static final int DEFAULT_RETRY_MAX = 3;
    public static final int MAX_RETRY_MAX = 10;
    public static final Duration DEFAULT_RETRY_INITIAL = Duration.ofMillis(250);
    /** The template placeholders Concourse's Vault source knows. */
    public static final Set<String> PLACEHOLDERS = Set.of("{{.Team}}", "{{.Pipeline}}", "{{.Secret}}");

    static final Set<String> ENTRY_KEYS = Set.of("name", "type", "config");
    static final Set<String> CONFIG_KEYS = Set.of(
            "url", "path_prefix", "lookup_templates", "shared_path", "namespace", "auth_path", "auth_type",
            "auth_role", "audience", "token_ttl", "ca_cert", "client_cert", "client_key", "insecure_skip_verify",
            "connect_timeout", "login_timeout", "query_timeout", "retry_max", "retry_initial");

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{[^}]*}}");

    /** TLS settings: PEM text of the CA bundle and of the client certificate and key, and whether to skip verification. */
    public record Tls(Optional<String> caCertPem, Optional<String> clientCertPem, Optional<String> clientKeyPem,
                      boolean insecureSkipVerify) {

        public static final Tls DEFAULT = new Tls(Optional.empty(), Optional.empty(), Optional.empty(), false);

        public Tls {
            Objects.requireNonNull(caCertPem, "caCertPem");
            Objects.requireNonNull(clientCertPem, "clientCertPem");
            Objects.requireNonNull(clientKeyPem, "clientKeyPem");
        }

        /** Leaves the PEM text out: a client key is a secret. */
        @Override
        public String toString() {
            return "Tls[caCert=" + caCertPem.isPresent() + ", clientCert=" + clientCertPem.isPresent()
                    + ", clientKey=" + (clientKeyPem.isPresent() ? "<redacted>" : "none")
                    + ", insecureSkipVerify=" + insecureSkipVerify + "]";
        }
    }

    public VaultVarSourceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        lookupTemplates = List.copyOf(lookupTemplates);
        Objects.requireNonNull(sharedPath, "sharedPath");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(tls, "tls");
    }

    /** The Vault address without a trailing slash, e.g. {@code https://vault.example.com}. */
    public String address() {
        String text = url.toString();
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    /** The login endpoint below {@code /v1/}: {@code auth/<auth_path>/login}. */
    public String loginPath() {
        return "auth/" + authPath + "/login";
    }

    /** A copy with another {@code url}, e.g. the address of a server started for an example. */
    public VaultVarSourceConfig withUrl(URI newUrl) {
        return new VaultVarSourceConfig(name, newUrl, pathPrefix, lookupTemplates, sharedPath, namespace, authPath,
                authType, authRole, audience, tokenTtl, tls, connectTimeout, loginTimeout, queryTimeout, retryMax,
                retryInitial);
    }

    /** A copy with another token audience. */
    public VaultVarSourceConfig withAudience(String newAudience) {
        return new VaultVarSourceConfig(name, url, pathPrefix, lookupTemplates, sharedPath, namespace, authPath,
                authType, authRole, newAudience, tokenTtl, tls, connectTimeout, loginTimeout, queryTimeout, retryMax,
                retryInitial);
    }

    /** A copy with other retry settings, e.g. none for a test that wants a fast failure. */
    public VaultVarSourceConfig withRetries(int newRetryMax, Duration newRetryInitial) {
        return new VaultVarSourceConfig(name, url, pathPrefix, lookupTemplates, sharedPath, namespace, authPath,
                authType, authRole, audience, tokenTtl, tls, connectTimeout, loginTimeout, queryTimeout, newRetryMax,
                newRetryInitial);
    }

    /**
     * Reads every {@code type: vault} entry from the {@code var_sources} list of a pipeline (YAML);
     * entries of other types are left alone.
     *
     * @throws CiJwtException naming the entry and key that is wrong
     */
    public static List<VaultVarSourceConfig> fromPipelineYaml(String pipelineYaml) throws CiJwtException {
        JsonNode root = readYaml(pipelineYaml, "pipeline");
        JsonNode sources = root == null ? null : root.get("var_sources");
        if (sources == null || sources.isNull()) {
            return List.of();
        }
        if (!sources.isArray()) {
            throw invalid("var_sources must be a list");
        }
        List<VaultVarSourceConfig> out = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            JsonNode entry = sources.get(i);
            if ("vault".equals(entry.path("type").asText())) {
                out.add(fromEntry(entry, "var_sources[" + i + "]"));
            }
        }
        return List.copyOf(out);
    }

    /** Reads one {@code var_sources} entry ({@code name}, {@code type: vault}, {@code config}) written as YAML. */
    public static VaultVarSourceConfig fromYaml(String entryYaml) throws CiJwtException {
        JsonNode entry = readYaml(entryYaml, "var source");
        if (entry != null && entry.isArray() && entry.size() == 1) {
            entry = entry.get(0);
        }
        return fromEntry(entry, "var source");
    }

    /** Reads one {@code var_sources} entry from its parsed tree; {@code where} prefixes error messages. */
    public static VaultVarSourceConfig fromEntry(JsonNode entry, String where) throws CiJwtException {
        if (entry == null || !entry.isObject()) {
            throw invalid(where + " must be a map with name, type and config");
        }
        requireKnownKeys(entry, ENTRY_KEYS, where);
        String name = requiredText(entry, "name", where);
        String type = requiredText(entry, "type", where);
        if (!"vault".equals(type)) {
            throw invalid(where + " (" + name + "): type '" + type + "' is not vault");
        }
        String at = "var source '" + name + "'";
        JsonNode config = entry.get("config");
        if (config == null || !config.isObject()) {
            throw invalid(at + ": config must be a map");
        }
        requireKnownKeys(config, CONFIG_KEYS, at + " config");

        URI url = parseUrl(requiredText(config, "url", at), at);
        String pathPrefix = normalizePrefix(optionalText(config, "path_prefix", at).orElse(DEFAULT_PATH_PREFIX));
        List<String> templates = config.has("lookup_templates")
                ? textList(config.get("lookup_templates"), at + ": lookup_templates")
                : DEFAULT_LOOKUP_TEMPLATES;
        for (String template : templates) {
            checkTemplate(template, at + ": lookup_templates entry '" + template + "'", true);
        }
        Optional<String> sharedPath = optionalText(config, "shared_path", at).filter(s -> !s.isBlank());
        if (sharedPath.isPresent()) {
            checkTemplate(sharedPath.get(), at + ": shared_path '" + sharedPath.get() + "'", false);
        }
        Optional<String> namespace = optionalText(config, "namespace", at).filter(s -> !s.isBlank());
        String authPath = normalizeAuthPath(optionalText(config, "auth_path", at).orElse(DEFAULT_AUTH_PATH));
        if (authPath.isEmpty()) {
            throw invalid(at + ": auth_path is empty once normalised");
        }
        String authType = optionalText(config, "auth_type", at).orElse(AUTH_TYPE_JWT);
        if (!AUTH_TYPE_JWT.equals(authType)) {
            throw invalid(at + ": auth_type '" + authType + "' is not supported (only jwt)");
        }
        String authRole = requiredText(config, "auth_role", at);
        String audience = optionalText(config, "audience", at).orElse(trimSlash(url.toString()));
        if (audience.isBlank()) {
            throw invalid(at + ": audience is empty");
        }
        Duration tokenTtl = duration(config, "token_ttl", DEFAULT_TOKEN_TTL, at);
        if (tokenTtl.compareTo(Duration.ofMinutes(1)) < 0 || tokenTtl.compareTo(Duration.ofHours(1)) > 0) {
            throw invalid(at + ": token_ttl " + config.get("token_ttl").asText() + " is outside [1m, 1h]");
        }
        Tls tls = new Tls(pem(config, "ca_cert", at), pem(config, "client_cert", at), pem(config, "client_key", at),
                bool(config, "insecure_skip_verify", at));
        if (tls.clientCertPem().isPresent() != tls.clientKeyPem().isPresent()) {
            throw invalid(at + ": client_cert and client_key must be given together");
        }
        if ("http".equals(url.getScheme()) && (tls.caCertPem().isPresent() || tls.clientCertPem().isPresent())) {
            throw invalid(at + ": TLS settings are given but url '" + url + "' is http");
        }
        Duration connectTimeout = positive(duration(config, "connect_timeout", DEFAULT_CONNECT_TIMEOUT, at),
                "connect_timeout", at);
        Duration loginTimeout = positive(duration(config, "login_timeout", DEFAULT_LOGIN_TIMEOUT, at),
                "login_timeout", at);
        Duration queryTimeout = positive(duration(config, "query_timeout", DEFAULT_QUERY_TIMEOUT, at),
                "query_timeout", at);
        int retryMax = DEFAULT_RETRY_MAX;
        if (config.has("retry_max")) {
            JsonNode node = config.get("retry_max");
            if (!node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < 0 || node.asInt() > MAX_RETRY_MAX) {
                throw invalid(at + ": retry_max must be a whole number from 0 to " + MAX_RETRY_MAX);
            }
            retryMax = node.asInt();
        }
        Duration retryInitial = positive(duration(config, "retry_initial", DEFAULT_RETRY_INITIAL, at),
                "retry_initial", at);
        return new VaultVarSourceConfig(name, url, pathPrefix, templates, sharedPath, namespace, authPath, authType,
                authRole, audience, tokenTtl, tls, connectTimeout, loginTimeout, queryTimeout, retryMax, retryInitial);
    }

    /**
     * Normalises {@code auth_path} as the RFC's sed script means it: leading and trailing slashes,
     * a leading {@code auth/} and a trailing {@code /login} are removed, and runs of slashes collapse
     * to one, so {@code /auth/concourse/login/}, {@code auth//concourse} and {@code concourse} all
     * become {@code concourse}.
     *
     * <p>Unlike the literal script, only whole segments are removed ({@code authentik} stays, where
     * {@code sed 's|^auth/?||'} would leave {@code entik}) and slashes are collapsed before trimming,
     * so no leading slash survives.
     */
    public static String normalizeAuthPath(String authPath) {
        Objects.requireNonNull(authPath, "authPath");
        String p = trimSlashes(authPath.trim().replaceAll("/+", "/"));
        if (p.equals("auth")) {
            return "";
        }
        if (p.startsWith("auth/")) {
            p = p.substring("auth/".length());
        }
        if (p.equals("login")) {
            return "";
        }
        if (p.endsWith("/login")) {
            p = p.substring(0, p.length() - "/login".length());
        }
        return trimSlashes(p);
    }

    private static String trimSlashes(String text) {
        int from = 0;
        int to = text.length();
        while (from < to && text.charAt(from) == '/') {
            from++;
        }
        while (to > from && text.charAt(to - 1) == '/') {
            to--;
        }
        return text.substring(from, to);
    }

    private static String normalizePrefix(String prefix) {
        String p = prefix.replaceAll("/+", "/");
        p = trimSlash(p.startsWith("/") ? p.substring(1) : p);
        return p.isEmpty() ? "" : "/" + p;
    }

    private static String trimSlash(String text) {
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    private static void checkTemplate(String template, String what, boolean requireSecret) throws CiJwtException {
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            if (!PLACEHOLDERS.contains(m.group())) {
                throw invalid(what + " uses unknown placeholder " + m.group() + " (known: {{.Team}}, {{.Pipeline}},"
                        + " {{.Secret}})");
            }
        }
        if (requireSecret && !template.contains("{{.Secret}}")) {
            throw invalid(what + " must contain {{.Secret}}");
        }
    }

    private static URI parseUrl(String text, String at) throws CiJwtException {
        try {
            URI uri = new URI(text);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw invalid(at + ": url '" + text + "' must be an absolute http(s) URL with a host");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                throw invalid(at + ": url '" + text + "' may not have user info, a query or a fragment");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw invalid(at + ": url '" + text + "' is not a valid URL: " + e.getReason());
        }
    }

    private static JsonNode readYaml(String yaml, String what) throws CiJwtException {
        Objects.requireNonNull(yaml, what);
        try {
            return YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw invalid(what + " is not valid YAML: " + e.getOriginalMessage());
        }
    }

    private static void requireKnownKeys(JsonNode node, Set<String> known, String where) throws CiJwtException {
        for (String key : (Iterable<String>) node::fieldNames) {
            if (!known.contains(key)) {
                throw invalid(where + ": unknown key '" + key + "' (known: " + String.join(", ", sorted(known)) + ")");
            }
        }
    }

    private static List<String> sorted(Set<String> names) {
        List<String> list = new ArrayList<>(names);
        list.sort(null);
        return list;
    }

    private static String requiredText(JsonNode node, String key, String where) throws CiJwtException {
        return optionalText(node, key, where)
                .filter(s -> !s.isBlank())
                .orElseThrow(() -> invalid(where + ": " + key + " is required"));
    }

    private static Optional<String> optionalText(JsonNode node, String key, String where) throws CiJwtException {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw invalid(where + ": " + key + " must be a string");
        }
        return Optional.of(value.textValue());
    }

    private static List<String> textList(JsonNode node, String what) throws CiJwtException {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw invalid(what + " must be a non-empty list of strings");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode item : node) {
            if (!item.isTextual() || item.textValue().isBlank()) {
                throw invalid(what + " must be a non-empty list of strings");
            }
            out.add(item.textValue());
        }
        return List.copyOf(out);
    }

    private static boolean bool(JsonNode node, String key, String where) throws CiJwtException {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw invalid(where + ": " + key + " must be true or false");
        }
        return value.booleanValue();
    }

    /** PEM text as given, or read from a file when the value is a path. */
    private static Optional<String> pem(JsonNode node, String key, String where) throws CiJwtException {
        Optional<String> text = optionalText(node, key, where).filter(s -> !s.isBlank());
        if (text.isEmpty() || text.get().contains("-----BEGIN")) {
            return text;
        }
        Path file = Path.of(text.get().trim());
        try {
            String content = Files.readString(file);
            if (!content.contains("-----BEGIN")) {
                throw invalid(where + ": " + key + " file " + file + " holds no PEM block");
            }
            return Optional.of(content);
        } catch (IOException e) {
            throw invalid(where + ": " + key + " is neither PEM text nor a readable file (" + file + ")");
        }
    }

    private static Duration duration(JsonNode node, String key, Duration fallback, String where) throws CiJwtException {
        Optional<String> text = optionalText(node, key, where);
        if (text.isEmpty()) {
            return fallback;
        }
        return parseDuration(text.get()).orElseThrow(() -> invalid(where + ": " + key + " '" + text.get()
                + "' is not a duration (use e.g. 500ms, 5s, 2m, 1h)"));
    }

    /** Reads a Go-style duration such as {@code 500ms}, {@code 5s} or {@code 1m30s}. */
    static Optional<Duration> parseDuration(String text) {
        String v = text.trim();
        if (v.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = DURATION_PART.matcher(v);
        Duration total = Duration.ZERO;
        int at = 0;
        while (m.find() && m.start() == at) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
            at = m.end();
        }
        return at == v.length() ? Optional.of(total) : Optional.empty();
    }

    private static Duration positive(Duration d, String key, String where) throws CiJwtException {
        if (d.isZero() || d.isNegative()) {
            throw invalid(where + ": " + key + " must be more than 0");
        }
        return d;
    }

    private static CiJwtException invalid(String message) {
        return new CiJwtException(ErrorCode.SETTING_INVALID, message);
    }
}
