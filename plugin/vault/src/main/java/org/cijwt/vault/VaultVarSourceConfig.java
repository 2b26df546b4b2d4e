package org.cijwt.vault;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.config.ConfigBinder;
import org.cijwt.config.Durations;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.keys.PemReader;
import org.cijwt.vault.client.TlsMaterial;

/**
 * One {@code type: vault} entry of a pipeline's {@code var_sources}: what a pipeline author may set,
 * with the keys the job-JWT RFC names ({@code url}, {@code path_prefix}, {@code lookup_templates},
 * {@code shared_path}, {@code namespace}, {@code auth_path}, {@code auth_type: jwt},
 * {@code auth_role}) plus the token audience, TLS material as PEM text, timeouts and retries; bound
 * and validated once.
 *
 * <p>Nothing here reaches a host resource: TLS values are PEM text, never file names, and the
 * address and auth mount are only used once {@link VaultOperatorSettings#admit} has checked them
 * against what the operator allows. {@code audience} defaults to {@code url} (without a trailing
 * slash), the value Vault's own documentation suggests for {@code bound_audiences}.
 *
 * <p>{@link ConfigBinder} binds the entry as written ({@link Entry}, {@link Settings}): snake_case
 * keys, unknown keys, {@code null}s and values of the wrong type refused, durations in the one
 * grammar. The rules of the values are then checked once, here, with the entry's path in front of
 * each error ({@code var_sources[0].config.retry_max: ...}).
 *
 * @param origin where the entry was read, e.g. {@code var_sources[0]}; begins later error messages
 */
public record VaultVarSourceConfig(
        String origin,
        String name,
        URI url,
        String pathPrefix,
        List<LookupTemplate> lookupTemplates,
        Optional<LookupTemplate> sharedPath,
        Optional<String> namespace,
        String authPath,
        String authType,
        String authRole,
        String audience,
        Duration tokenTtl,
        TlsMaterial tls,
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
    /** The shortest lifetime of any token ci-jwt mints ({@link ClaimsPolicy#MIN_TTL}). */
    public static final Duration MIN_TOKEN_TTL = ClaimsPolicy.MIN_TTL;
    /**
     * Deliberately tighter than the 24 hours any token may live ({@link ClaimsPolicy#MAX_TTL}): the
     * pipeline author, not the operator, sets {@code token_ttl}, and the login token is presented to
     * Vault once, at login, so a longer life would only lengthen the time a leaked copy (from a
     * Vault audit log, a proxy) can log in again.
     */
    public static final Duration MAX_TOKEN_TTL = Duration.ofHours(1);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_LOGIN_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(15);
    /** A pipeline may not hold a worker's thread for longer than this on one connect. */
    public static final Duration MAX_CONNECT_TIMEOUT = Duration.ofMinutes(1);
    /** A pipeline may not hold a worker's thread for longer than this on one answer. */
    public static final Duration MAX_ANSWER_TIMEOUT = Duration.ofMinutes(5);
    public static final int DEFAULT_RETRY_MAX = 3;
    public static final int MAX_RETRY_MAX = 10;
    public static final Duration DEFAULT_RETRY_INITIAL = Duration.ofMillis(250);
    /** The backoff doubles up to this, so a longer first wait would not be a backoff. */
    public static final Duration MAX_RETRY_INITIAL = Duration.ofSeconds(5);
    /** The template placeholders Concourse's Vault source knows. */
    public static final Set<String> PLACEHOLDERS = Set.of(LookupTemplate.TEAM, LookupTemplate.PIPELINE,
            LookupTemplate.SECRET);

    private static final Duration SHORTEST = Duration.ofMillis(1);
    /** What every PEM value starts with; text without it is not PEM, whatever else it may name. */
    private static final String PEM_BEGIN = "-----BEGIN ";

    /** The entry as written; every rule is applied by {@link #from(Entry, String)}. */
    record Entry(String name, String type, Settings config) {
    }

    /** The {@code config:} map as written, bound by {@link ConfigBinder}; absent keys are {@code null}. */
    record Settings(String url, String pathPrefix, List<String> lookupTemplates, String sharedPath, String namespace,
                    String authPath, String authType, String authRole, String audience, Duration tokenTtl,
                    String caCert, String clientCert, String clientKey, Duration connectTimeout,
                    Duration loginTimeout, Duration queryTimeout, Integer retryMax, Duration retryInitial) {
    }

    public VaultVarSourceConfig {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(pathPrefix, "pathPrefix");
        lookupTemplates = List.copyOf(lookupTemplates);
        Objects.requireNonNull(sharedPath, "sharedPath");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(authPath, "authPath");
        Objects.requireNonNull(authRole, "authRole");
        Objects.requireNonNull(audience, "audience");
        Objects.requireNonNull(tokenTtl, "tokenTtl");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(loginTimeout, "loginTimeout");
        Objects.requireNonNull(queryTimeout, "queryTimeout");
        Objects.requireNonNull(retryInitial, "retryInitial");
    }

    /** The Vault address without a trailing slash, e.g. {@code https://vault.example.com}. */
    public String address() {
        return trimSlash(url.toString());
    }

    /** The login endpoint below {@code /v1/}: {@code auth/<auth_path>/login}. */
    public String loginPath() {
        return "auth/" + authPath + "/login";
    }

    /**
     * The auth mount with its namespace in front, as the operator's {@code allowed_auth_paths} name
     * it: {@code concourse}, or {@code team-a/concourse} with {@code namespace: team-a}. Vault reads
     * {@code X-Vault-Namespace: team-a} plus {@code auth/concourse} as {@code team-a/auth/concourse},
     * so the namespace is part of which mount a login reaches.
     */
    public String qualifiedAuthPath() {
        String ns = namespace.map(VaultVarSourceConfig::normalizeNamespace).orElse("");
        return ns.isEmpty() ? authPath : ns + "/" + authPath;
    }

    /** A copy with another {@code url}, e.g. the address of a server started for an example. */
    public VaultVarSourceConfig withUrl(URI newUrl) throws CiJwtException {
        URI checked = parseUrl(newUrl.toString(), key(origin + ".config", "url"));
        checkTlsFitsScheme(checked, tls, origin + ".config");
        return new VaultVarSourceConfig(origin, name, checked, pathPrefix, lookupTemplates, sharedPath, namespace,
                authPath, authType, authRole, audience, tokenTtl, tls, connectTimeout, loginTimeout, queryTimeout,
                retryMax, retryInitial);
    }

    /** A copy with another token audience. */
    public VaultVarSourceConfig withAudience(String newAudience) {
        return new VaultVarSourceConfig(origin, name, url, pathPrefix, lookupTemplates, sharedPath, namespace, authPath,
                authType, authRole, newAudience, tokenTtl, tls, connectTimeout, loginTimeout, queryTimeout, retryMax,
                retryInitial);
    }

    /** A copy that logs in as another role. */
    public VaultVarSourceConfig withAuthRole(String newRole) {
        return new VaultVarSourceConfig(origin, name, url, pathPrefix, lookupTemplates, sharedPath, namespace, authPath,
                authType, newRole, audience, tokenTtl, tls, connectTimeout, loginTimeout, queryTimeout, retryMax,
                retryInitial);
    }

    /** A copy with other retry settings, e.g. none for a test that wants a fast failure. */
    public VaultVarSourceConfig withRetries(int newRetryMax, Duration newRetryInitial) {
        return new VaultVarSourceConfig(origin, name, url, pathPrefix, lookupTemplates, sharedPath, namespace, authPath,
                authType, authRole, audience, tokenTtl, tls, connectTimeout, loginTimeout, queryTimeout, newRetryMax,
                newRetryInitial);
    }

    /**
     * Reads every {@code type: vault} entry from the {@code var_sources} list of a pipeline (YAML);
     * entries of other types are left alone.
     *
     * @throws CiJwtException naming the path of the key that is wrong, e.g. {@code var_sources[0].config.url}
     */
    public static List<VaultVarSourceConfig> fromPipelineYaml(String pipelineYaml) throws CiJwtException {
        JsonNode root = ConfigBinder.readTree(Objects.requireNonNull(pipelineYaml, "pipelineYaml"), "pipeline");
        if (!root.isObject()) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, "pipeline: must be a mapping");
        }
        JsonNode sources = root.get("var_sources");
        if (sources == null || sources.isNull()) {
            return List.of();
        }
        if (!sources.isArray()) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, "var_sources: must be a list");
        }
        List<VaultVarSourceConfig> out = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            JsonNode entry = sources.get(i);
            if (entry.isObject() && "vault".equals(entry.path("type").textValue())) {
                out.add(fromEntry(entry, "var_sources[" + i + "]"));
            }
        }
        return List.copyOf(out);
    }

    /**
     * Reads one {@code var_sources} entry ({@code name}, {@code type: vault}, {@code config}) written
     * as YAML, alone or as a one-element list; errors begin with {@code var_source}.
     */
    public static VaultVarSourceConfig fromYaml(String entryYaml) throws CiJwtException {
        JsonNode entry = ConfigBinder.readTree(Objects.requireNonNull(entryYaml, "entryYaml"), "var source");
        if (entry.isArray() && entry.size() == 1) {
            entry = entry.get(0);
        }
        return fromEntry(entry, "var_source");
    }

    /** Reads one {@code var_sources} entry from its parsed tree; {@code origin} is its path, e.g. {@code var_sources[2]}. */
    public static VaultVarSourceConfig fromEntry(JsonNode entry, String origin) throws CiJwtException {
        return from(ConfigBinder.bind(entry, Entry.class, (path, rule) -> key(origin, path) + ": " + rule), origin);
    }

    private static VaultVarSourceConfig from(Entry entry, String origin) throws CiJwtException {
        String name = required(entry.name(), key(origin, "name"));
        if (!"vault".equals(required(entry.type(), key(origin, "type")))) {
            throw invalid(key(origin, "type"), "must be vault");
        }
        if (entry.config() == null) {
            throw invalid(key(origin, "config"), "is required");
        }
        Settings c = entry.config();
        String at = key(origin, "config");

        URI url = parseUrl(required(c.url(), key(at, "url")), key(at, "url"));
        String pathPrefix = normalizePrefix(present(c.pathPrefix()).orElse(DEFAULT_PATH_PREFIX),
                key(at, "path_prefix"));
        List<LookupTemplate> templates = templates(c.lookupTemplates(), key(at, "lookup_templates"));
        Optional<LookupTemplate> sharedPath = Optional.empty();
        if (present(c.sharedPath()).isPresent()) {
            sharedPath = Optional.of(LookupTemplate.parse(c.sharedPath(), key(at, "shared_path"), false)
                    .withSecretAppended());
        }
        Optional<String> namespace = present(c.namespace());
        if (namespace.isPresent()) {
            checkSegments(normalizeNamespace(namespace.get()), key(at, "namespace"), true);
        }
        String authPath = normalizeAuthPath(present(c.authPath()).orElse(DEFAULT_AUTH_PATH));
        if (authPath.isEmpty()) {
            throw invalid(key(at, "auth_path"), "is empty once normalised (a mount path such as concourse)");
        }
        checkSegments(authPath, key(at, "auth_path"), false);
        String authType = present(c.authType()).orElse(AUTH_TYPE_JWT);
        if (!AUTH_TYPE_JWT.equals(authType)) {
            throw invalid(key(at, "auth_type"), "must be jwt, the only auth type this source supports");
        }
        String authRole = required(c.authRole(), key(at, "auth_role"));
        String audience = c.audience() == null ? trimSlash(url.toString()) : c.audience();
        if (audience.isBlank()) {
            throw invalid(key(at, "audience"), "must not be empty");
        }
        Duration tokenTtl = within(c.tokenTtl(), DEFAULT_TOKEN_TTL, key(at, "token_ttl"), MIN_TOKEN_TTL, MAX_TOKEN_TTL);
        TlsMaterial tls = tls(c, at);
        checkTlsFitsScheme(url, tls, at);
        Duration connectTimeout = within(c.connectTimeout(), DEFAULT_CONNECT_TIMEOUT, key(at, "connect_timeout"),
                SHORTEST, MAX_CONNECT_TIMEOUT);
        Duration loginTimeout = within(c.loginTimeout(), DEFAULT_LOGIN_TIMEOUT, key(at, "login_timeout"),
                SHORTEST, MAX_ANSWER_TIMEOUT);
        Duration queryTimeout = within(c.queryTimeout(), DEFAULT_QUERY_TIMEOUT, key(at, "query_timeout"),
                SHORTEST, MAX_ANSWER_TIMEOUT);
        int retryMax = c.retryMax() == null ? DEFAULT_RETRY_MAX : c.retryMax();
        if (retryMax < 0 || retryMax > MAX_RETRY_MAX) {
            throw invalid(key(at, "retry_max"), "must be a whole number from 0 to " + MAX_RETRY_MAX);
        }
        Duration retryInitial = within(c.retryInitial(), DEFAULT_RETRY_INITIAL, key(at, "retry_initial"),
                SHORTEST, MAX_RETRY_INITIAL);
        return new VaultVarSourceConfig(origin, name, url, pathPrefix, templates, sharedPath, namespace, authPath,
                authType, authRole, audience, tokenTtl, tls, connectTimeout, loginTimeout, queryTimeout, retryMax,
                retryInitial);
    }

    /**
     * {@code given}, or {@code fallback} when the key is absent, checked against its range; zero is
     * out of every range here, because no duration of the Vault var source documents "0 turns it off".
     */
    private static Duration within(Duration given, Duration fallback, String where, Duration min, Duration max)
            throws CiJwtException {
        if (given == null) {
            return fallback;
        }
        if (given.compareTo(min) < 0 || given.compareTo(max) > 0) {
            throw invalid(where, "must be from " + Durations.format(min) + " to " + Durations.format(max));
        }
        return given;
    }

    /**
     * A key's path below {@code path}: {@code path.key}; below a file name written with a colon
     * ({@code vault.yml:}) it is {@code vault.yml: key}; the empty key is {@code path} itself.
     */
    static String key(String path, String key) {
        if (key.isEmpty()) {
            return path;
        }
        return path.isEmpty() ? key : path.endsWith(":") ? path + " " + key : path + "." + key;
    }

    private static List<LookupTemplate> templates(List<String> given, String path) throws CiJwtException {
        List<String> texts = given == null ? DEFAULT_LOOKUP_TEMPLATES : given;
        if (texts.isEmpty()) {
            throw invalid(path, "must be a non-empty list of strings");
        }
        Set<String> seen = new LinkedHashSet<>();
        List<LookupTemplate> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text == null || text.isBlank()) {
                throw invalid(path + "[" + i + "]", "must not be empty");
            }
            if (seen.add(text)) {
                out.add(LookupTemplate.parse(text, path + "[" + i + "]", true));
            }
        }
        return List.copyOf(out);
    }

    /**
     * PEM text only: a value without a PEM block is refused with one message, whatever it names, so
     * that a pipeline can neither make the worker read a host file nor learn whether one exists.
     */
    private static TlsMaterial tls(Settings c, String at) throws CiJwtException {
        Optional<String> ca = pemText(c.caCert(), key(at, "ca_cert"), "ca_cert_file");
        Optional<String> cert = pemText(c.clientCert(), key(at, "client_cert"), "client_cert_file");
        Optional<String> key = pemText(c.clientKey(), key(at, "client_key"), "client_key_file");
        if (cert.isPresent() != key.isPresent()) {
            throw invalid(key(at, cert.isPresent() ? "client_key" : "client_cert"),
                    "is required: client_cert and client_key go together");
        }
        List<X509Certificate> trust = ca.isPresent()
                ? PemReader.certificates(ca.get(), tlsInvalid(key(at, "ca_cert"))) : List.of();
        Optional<TlsMaterial.ClientCertificate> client = Optional.empty();
        if (cert.isPresent()) {
            List<X509Certificate> chain = PemReader.certificates(cert.get(), tlsInvalid(key(at, "client_cert")));
            PemReader.Failure keyFailure = tlsInvalid(key(at, "client_key"));
            client = Optional.of(TlsMaterial.ClientCertificate.of(chain, PemReader.privateKey(key.get(), keyFailure),
                    keyFailure, key(at, "client_cert")));
        }
        return new TlsMaterial(trust, client);
    }

    private static Optional<String> pemText(String value, String path, String operatorKey) throws CiJwtException {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        if (!value.strip().startsWith(PEM_BEGIN)) {
            throw invalid(path, "must be PEM text (starting with -----BEGIN); a pipeline cannot name a file, only the"
                    + " operator can (" + operatorKey + " in the Vault operator settings)");
        }
        return Optional.of(value);
    }

    private static void checkTlsFitsScheme(URI url, TlsMaterial tls, String at) throws CiJwtException {
        if ("http".equalsIgnoreCase(url.getScheme()) && !tls.isEmpty()) {
            throw new CiJwtException(ErrorCode.OPTIONS_CONFLICT, at + ": ca_cert, client_cert and client_key are"
                    + " given but url is http, which uses no TLS");
        }
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

    /** {@code /team-a/} is {@code team-a}; {@code root} and {@code /root} are the root namespace, written as empty. */
    static String normalizeNamespace(String namespace) {
        String ns = trimSlashes(namespace.trim().replaceAll("/+", "/"));
        return ns.equals("root") ? "" : ns;
    }

    private static void checkSegments(String path, String where, boolean emptyAllowed) throws CiJwtException {
        if (path.isEmpty() && emptyAllowed) {
            return;
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw invalid(where, "has an empty, '.' or '..' path segment");
            }
        }
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

    private static String normalizePrefix(String prefix, String where) throws CiJwtException {
        String p = trimSlashes(prefix.trim().replaceAll("/+", "/"));
        if (p.contains("{{") || p.contains("}}")) {
            throw invalid(where, "cannot hold placeholders; they belong in lookup_templates and shared_path");
        }
        checkSegments(p, where, true);
        return p.isEmpty() ? "" : "/" + p;
    }

    private static String trimSlash(String text) {
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    /** Checks a Vault address; the message never quotes it, since a URL can carry credentials. */
    static URI parseUrl(String text, String where) throws CiJwtException {
        String rule = "must be an absolute http or https URL with a host and no user info, query or fragment";
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw invalid(where, rule);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw invalid(where, rule);
        }
        return uri;
    }

    private static String required(String value, String where) throws CiJwtException {
        if (value == null || value.isBlank()) {
            throw invalid(where, "is required");
        }
        return value;
    }

    private static Optional<String> present(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value);
    }

    private static CiJwtException invalid(String where, String rule) {
        return new CiJwtException(ErrorCode.SETTING_INVALID, where + ": " + rule);
    }

    private static PemReader.Failure tlsInvalid(String where) {
        return rule -> new CiJwtException(ErrorCode.TLS_INVALID, where + ": " + rule);
    }
}
