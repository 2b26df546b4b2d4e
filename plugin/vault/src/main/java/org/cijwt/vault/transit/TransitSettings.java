package org.cijwt.vault.transit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.cijwt.config.Durations;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.SecureFiles;

/**
 * The operator's settings of the Transit key source, parsed once and validated: the Vault address,
 * namespace, TLS, how the signer logs in, timeouts and the publishing schedule.
 *
 * <p>They come from the YAML or JSON file that {@code $CI_JWT_TRANSIT_CONFIG} names, then from the
 * environment, which overrides the file: {@code VAULT_ADDR}/{@code BAO_ADDR},
 * {@code VAULT_TOKEN}/{@code BAO_TOKEN}, {@code VAULT_NAMESPACE}/{@code BAO_NAMESPACE},
 * {@code VAULT_CACERT}/{@code BAO_CACERT}, {@code VAULT_CLIENT_CERT}/{@code BAO_CLIENT_CERT} and
 * {@code VAULT_CLIENT_KEY}/{@code BAO_CLIENT_KEY}, the variables Vault's and OpenBao's own CLIs read.
 *
 * @param address the Vault address without a trailing slash
 * @param timeout how long one signature or key read may take, retries included; a mint fails after it
 * @param connectTimeout how long opening a connection may take (at most {@code timeout})
 * @param pollInterval how often the key's versions are read again (rotation is seen within it)
 * @param publishAhead how long a new version is published before it signs: at least the JWKS cache
 *     lifetime of every relying party plus {@code pollInterval}
 * @param maxTokenTtl the longest lifetime of a token signed with this key; a version that left Vault
 *     stays published that long (plus a margin) after it stopped signing
 * @param retire what happens to a version below {@code min_decryption_version}
 * @param batchSize at most this many signatures go in one {@code batch_input} request
 * @param concurrency at most this many sign requests are in flight at once
 */
public record TransitSettings(URI address, Optional<String> namespace, Tls tls, TransitAuth auth, Duration timeout,
                              Duration connectTimeout, Duration pollInterval, Duration publishAhead,
                              Duration maxTokenTtl, Retire retire, int batchSize, int concurrency) {

    /** The environment variable naming the operator's settings file. */
    public static final String CONFIG_ENV = "CI_JWT_TRANSIT_CONFIG";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(30);
    /** Twice the web endpoint's default JWKS max-age (300 s), so a cached JWKS always has the next version. */
    public static final Duration DEFAULT_PUBLISH_AHEAD = Duration.ofMinutes(10);
    public static final Duration DEFAULT_MAX_TOKEN_TTL = Duration.ofHours(24);
    public static final int DEFAULT_BATCH_SIZE = 100;
    public static final int MAX_BATCH_SIZE = 1000;
    public static final int DEFAULT_CONCURRENCY = 4;
    public static final int MAX_CONCURRENCY = 64;
    /** Where a pod's service-account token is mounted by default. */
    public static final Path KUBERNETES_JWT_FILE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    static final Set<String> KEYS = Set.of("address", "namespace", "ca_cert_file", "client_cert_file",
            "client_key_file", "auth", "timeout", "connect_timeout", "poll_interval", "publish_ahead", "max_token_ttl",
            "retire", "batch_size", "concurrency");
    static final Set<String> AUTH_KEYS = Set.of("method", "token_file", "mount", "role_id", "role_id_file",
            "secret_id_file", "role", "jwt_file");

    private static final YAMLMapper YAML = new YAMLMapper();

    /** What becomes of a version once the operator raises {@code min_decryption_version} past it. */
    public enum Retire {
        /** It stays published until every token it may have signed has expired (the default). */
        AFTER_EXPIRY,
        /** It leaves the JWKS at the next poll, and tokens it signed stop verifying: for a leaked key. */
        IMMEDIATELY
    }

    /** TLS to Vault: a CA bundle to trust and a client certificate with its key, all PEM files. */
    public record Tls(Optional<Path> caCert, Optional<Path> clientCert, Optional<Path> clientKey) {
        public static final Tls NONE = new Tls(Optional.empty(), Optional.empty(), Optional.empty());

        public boolean any() {
            return caCert.isPresent() || clientCert.isPresent();
        }
    }

    public TransitSettings {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(auth, "auth");
    }

    /** The address as text without a trailing slash, for requests and messages. */
    public String addressText() {
        String text = address.toString();
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    /** A copy with other timing, for tests and operators who tune one setting in code. */
    public TransitSettings withTiming(Duration newTimeout, Duration newPollInterval, Duration newPublishAhead,
                                      Duration newMaxTokenTtl) {
        return new TransitSettings(address, namespace, tls, auth, newTimeout,
                newTimeout.compareTo(connectTimeout) < 0 ? newTimeout : connectTimeout, newPollInterval,
                newPublishAhead, newMaxTokenTtl, retire, batchSize, concurrency);
    }

    /** A copy with another retirement rule. */
    public TransitSettings withRetire(Retire newRetire) {
        return new TransitSettings(address, namespace, tls, auth, timeout, connectTimeout, pollInterval, publishAhead,
                maxTokenTtl, newRetire, batchSize, concurrency);
    }

    /** Reads the file named by {@value #CONFIG_ENV} (if set), then the environment; see the class comment. */
    public static TransitSettings load(Map<String, String> env) throws CiJwtException {
        String fileName = blankToNull(env.get(CONFIG_ENV));
        Path file = fileName == null ? null : Path.of(fileName);
        JsonNode root = file == null ? YAML.createObjectNode() : readFile(file);
        String where = file == null ? "transit settings" : "transit config " + file;
        requireKnownKeys(root, KEYS, where);

        Optional<String> addressText = fromEnv(env, "ADDR").or(() -> text(root, "address"));
        if (addressText.isEmpty()) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, "no Vault address for the transit key source: set"
                    + " VAULT_ADDR or BAO_ADDR, or address in the file $" + CONFIG_ENV + " names");
        }
        URI address = parseAddress(addressText.get(), where);
        Optional<String> namespace = fromEnv(env, "NAMESPACE").or(() -> text(root, "namespace"))
                .map(TransitSettings::trimSlashes).filter(s -> !s.isEmpty());
        Tls tls = new Tls(fromEnv(env, "CACERT").or(() -> text(root, "ca_cert_file")).map(Path::of),
                fromEnv(env, "CLIENT_CERT").or(() -> text(root, "client_cert_file")).map(Path::of),
                fromEnv(env, "CLIENT_KEY").or(() -> text(root, "client_key_file")).map(Path::of));
        checkTls(tls, address, where);

        TransitAuth auth = auth(root.get("auth"), env, where);
        if (auth instanceof TransitAuth.Cert && tls.clientCert().isEmpty()) {
            throw invalid(where + ": auth method cert needs a client certificate (client_cert_file and client_key_file,"
                    + " or VAULT_CLIENT_CERT and VAULT_CLIENT_KEY)");
        }
        Duration timeout = positive(duration(root, "timeout", DEFAULT_TIMEOUT, where), "timeout", where);
        Duration connect = positive(duration(root, "connect_timeout", DEFAULT_CONNECT_TIMEOUT, where),
                "connect_timeout", where);
        if (connect.compareTo(timeout) > 0) {
            connect = timeout;
        }
        Duration poll = positive(duration(root, "poll_interval", DEFAULT_POLL_INTERVAL, where), "poll_interval", where);
        Duration ahead = duration(root, "publish_ahead", DEFAULT_PUBLISH_AHEAD, where);
        if (ahead.compareTo(poll) < 0) {
            throw invalid(where + ": publish_ahead " + Durations.format(ahead) + " is shorter than poll_interval "
                    + Durations.format(poll) + ": a serve process could meet tokens of a version it has not read yet");
        }
        Duration maxTtl = positive(duration(root, "max_token_ttl", DEFAULT_MAX_TOKEN_TTL, where), "max_token_ttl", where);
        Retire retire = switch (text(root, "retire").orElse("after_expiry")) {
            case "after_expiry" -> Retire.AFTER_EXPIRY;
            case "immediately" -> Retire.IMMEDIATELY;
            default -> throw invalid(where + ": retire must be after_expiry or immediately");
        };
        int batch = whole(root, "batch_size", DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE, where);
        int concurrency = whole(root, "concurrency", DEFAULT_CONCURRENCY, MAX_CONCURRENCY, where);
        return new TransitSettings(address, namespace, tls, auth, timeout, connect, poll, ahead, maxTtl, retire, batch,
                concurrency);
    }

    private static TransitAuth auth(JsonNode node, Map<String, String> env, String where) throws CiJwtException {
        JsonNode auth = node == null || node.isNull() ? YAML.createObjectNode() : node;
        if (!auth.isObject()) {
            throw invalid(where + ": auth must be a map with method and its settings");
        }
        String at = where + ": auth";
        requireKnownKeys(auth, AUTH_KEYS, at);
        String method = text(auth, "method").orElse("token");
        switch (method) {
            case "token" -> {
                onlyKeys(auth, Set.of("method", "token_file"), at + " (method token)");
                Optional<Path> file = text(auth, "token_file").map(Path::of);
                Optional<String> value = file.isPresent() ? Optional.empty() : fromEnv(env, "TOKEN");
                if (file.isEmpty() && value.isEmpty()) {
                    throw invalid("no Vault token for the transit key source: set VAULT_TOKEN or BAO_TOKEN, or auth"
                            + " (token_file, or method approle, kubernetes, jwt or cert) in the file $" + CONFIG_ENV + " names");
                }
                String envName = env.get("BAO_TOKEN") != null && !env.get("BAO_TOKEN").isBlank() ? "BAO_TOKEN" : "VAULT_TOKEN";
                return new TransitAuth.Token(value, envName, file);
            }
            case "approle" -> {
                onlyKeys(auth, Set.of("method", "mount", "role_id", "role_id_file", "secret_id_file"), at + " (method approle)");
                Optional<String> roleId = text(auth, "role_id");
                Optional<Path> roleIdFile = text(auth, "role_id_file").map(Path::of);
                if (roleId.isPresent() == roleIdFile.isPresent()) {
                    throw invalid(at + ": method approle needs role_id or role_id_file (one of them)");
                }
                String id = roleId.isPresent() ? roleId.get() : readSmallFile(roleIdFile.get(), at + ".role_id_file", false);
                Path secretIdFile = text(auth, "secret_id_file").map(Path::of)
                        .orElseThrow(() -> invalid(at + ": method approle needs secret_id_file"));
                return new TransitAuth.AppRole(mount(auth, "approle", at), id, secretIdFile);
            }
            case "kubernetes", "jwt" -> {
                onlyKeys(auth, Set.of("method", "mount", "role", "jwt_file"), at + " (method " + method + ")");
                String role = text(auth, "role").orElseThrow(() -> invalid(at + ": method " + method + " needs role"));
                Optional<Path> jwtFile = text(auth, "jwt_file").map(Path::of);
                if (jwtFile.isEmpty() && method.equals("jwt")) {
                    throw invalid(at + ": method jwt needs jwt_file");
                }
                return new TransitAuth.JwtLogin(method, mount(auth, method, at), role, jwtFile.orElse(KUBERNETES_JWT_FILE));
            }
            case "cert" -> {
                onlyKeys(auth, Set.of("method", "mount", "role"), at + " (method cert)");
                return new TransitAuth.Cert(mount(auth, "cert", at), text(auth, "role"));
            }
            default -> throw invalid(at + ": method '" + method + "' is not one of token, approle, kubernetes, jwt, cert");
        }
    }

    private static String mount(JsonNode auth, String fallback, String at) throws CiJwtException {
        String mount = trimSlashes(text(auth, "mount").orElse(fallback));
        if (mount.startsWith("auth/")) {
            mount = mount.substring("auth/".length());
        }
        if (mount.isEmpty() || mount.contains("..")) {
            throw invalid(at + ": mount '" + text(auth, "mount").orElse("") + "' is not an auth mount path");
        }
        return mount;
    }

    /** Reads a short secret or id file, trimmed; {@code secret} files must be private (0600). */
    static String readSmallFile(Path file, String what, boolean secret) throws CiJwtException {
        try {
            if (secret) {
                SecureFiles.requirePrivatePermissions(file, what);
            }
            String text = Files.readString(file).strip();
            if (text.isEmpty()) {
                throw invalid(what + " " + file + " is empty");
            }
            return text;
        } catch (NoSuchFileException e) {
            throw invalid(what + " " + file + " does not exist");
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, what + " " + file + " cannot be read: " + SecureFiles.reason(e));
        }
    }

    private static void checkTls(Tls tls, URI address, String where) throws CiJwtException {
        if (tls.clientCert().isPresent() != tls.clientKey().isPresent()) {
            throw new CiJwtException(ErrorCode.TLS_INVALID, where + ": a client certificate and its key must be given"
                    + " together (client_cert_file and client_key_file, or VAULT_CLIENT_CERT and VAULT_CLIENT_KEY)");
        }
        if (tls.any() && "http".equals(address.getScheme())) {
            throw new CiJwtException(ErrorCode.TLS_INVALID, where + ": TLS files are given but the Vault address "
                    + address + " is http");
        }
        for (Optional<Path> f : List.of(tls.caCert(), tls.clientCert())) {
            if (f.isPresent() && !Files.isReadable(f.get())) {
                throw new CiJwtException(ErrorCode.TLS_INVALID, where + ": TLS file " + f.get() + " cannot be read");
            }
        }
        if (tls.clientKey().isPresent()) {
            SecureFiles.requirePrivatePermissions(tls.clientKey().get(), "Vault client key");
        }
    }

    private static URI parseAddress(String text, String where) throws CiJwtException {
        try {
            URI uri = new URI(text.strip());
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null) {
                throw invalid(where + ": Vault address '" + text + "' is not an http or https URL with a host and"
                        + " no query");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw invalid(where + ": Vault address '" + text + "' is not a URL");
        }
    }

    /** {@code BAO_<name>} or {@code VAULT_<name>}; both set to different values is an error. */
    private static Optional<String> fromEnv(Map<String, String> env, String name) throws CiJwtException {
        String bao = blankToNull(env.get("BAO_" + name));
        String vault = blankToNull(env.get("VAULT_" + name));
        if (bao != null && vault != null && !bao.equals(vault)) {
            throw new CiJwtException(ErrorCode.OPTIONS_CONFLICT, "environment variables BAO_" + name + " and VAULT_"
                    + name + " are both set, to different values; unset one");
        }
        return Optional.ofNullable(bao != null ? bao : vault);
    }

    private static JsonNode readFile(Path file) throws CiJwtException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, "transit config " + file + " (from $" + CONFIG_ENV
                    + ") does not exist");
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, "transit config " + file + " cannot be read: "
                    + SecureFiles.reason(e));
        }
        try {
            JsonNode root = YAML.readTree(text);
            if (root == null || root.isNull() || root.isMissingNode()) {
                return YAML.createObjectNode();
            }
            if (!root.isObject()) {
                throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, "transit config " + file + " must be a map of settings");
            }
            return root;
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, "transit config " + file + " is not valid YAML"
                    + (line > 0 ? " (line " + line + ")" : ""));
        }
    }

    private static void requireKnownKeys(JsonNode node, Set<String> known, String where) throws CiJwtException {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key)) {
                throw new CiJwtException(ErrorCode.CONFIG_UNKNOWN_KEY, where + ": unknown key '" + key + "' (known: "
                        + new TreeSet<>(known) + ")");
            }
        }
    }

    private static void onlyKeys(JsonNode node, Set<String> allowed, String where) throws CiJwtException {
        List<String> extra = new ArrayList<>();
        node.fieldNames().forEachRemaining(k -> {
            if (!allowed.contains(k)) {
                extra.add(k);
            }
        });
        if (!extra.isEmpty()) {
            throw new CiJwtException(ErrorCode.OPTIONS_CONFLICT, where + " does not use " + extra);
        }
    }

    private static Optional<String> text(JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull() || !v.isValueNode()) {
            return Optional.empty();
        }
        return Optional.ofNullable(blankToNull(v.asText()));
    }

    private static Duration duration(JsonNode node, String key, Duration fallback, String where) throws CiJwtException {
        Optional<String> text = text(node, key);
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            return Durations.parse(text.get());
        } catch (Durations.DurationSyntaxException e) {
            throw invalid(where + ": " + key + " '" + text.get() + "' " + e.getMessage());
        }
    }

    private static Duration positive(Duration d, String key, String where) throws CiJwtException {
        if (d.isZero() || d.isNegative()) {
            throw invalid(where + ": " + key + " must be longer than 0");
        }
        return d;
    }

    private static int whole(JsonNode node, String key, int fallback, int max, String where) throws CiJwtException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1 || v.asInt() > max) {
            throw invalid(where + ": " + key + " must be a whole number from 1 to " + max);
        }
        return v.asInt();
    }

    private static String trimSlashes(String s) {
        String out = s.strip();
        while (out.startsWith("/")) {
            out = out.substring(1);
        }
        while (out.endsWith("/")) {
            out = out.substring(0, out.length() - 1);
        }
        return out;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static CiJwtException invalid(String message) {
        return new CiJwtException(ErrorCode.SETTING_INVALID, message);
    }
}
