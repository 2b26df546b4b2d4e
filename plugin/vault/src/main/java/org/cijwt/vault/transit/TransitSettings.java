package org.cijwt.vault.transit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.cijwt.config.ConfigBinder;
import org.cijwt.config.Durations;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.keys.PemReader;
import org.cijwt.vault.client.TlsMaterial;
import org.cijwt.vault.client.VaultTokens;

/**
 * The operator's settings of the Transit key source, parsed once and validated: the Vault address,
 * namespace, TLS, how the signer logs in, timeouts and the publishing schedule.
 *
 * <p>They come from the YAML or JSON file that {@code $CI_JWT_TRANSIT_CONFIG} names, then from the
 * environment, which overrides the file: {@code VAULT_ADDR}/{@code BAO_ADDR},
 * {@code VAULT_TOKEN}/{@code BAO_TOKEN}, {@code VAULT_NAMESPACE}/{@code BAO_NAMESPACE},
 * {@code VAULT_CACERT}/{@code BAO_CACERT}, {@code VAULT_CLIENT_CERT}/{@code BAO_CLIENT_CERT} and
 * {@code VAULT_CLIENT_KEY}/{@code BAO_CLIENT_KEY}, the variables Vault's and OpenBao's own CLIs read.
 * The file and the variables are merged into one document, which {@link ConfigBinder} binds like
 * every configuration file: unknown keys are refused ({@code CJ402}) with their path, values are
 * never coerced, and an error names the setting (and the variable it came from), never its value.
 *
 * @param address the Vault address without a trailing slash
 * @param tls the CA bundle and client certificate (PEM files), read and checked when the settings are loaded
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
public record TransitSettings(URI address, Optional<String> namespace, TlsMaterial tls, TransitAuth auth, Duration timeout,
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

    /** The settings an environment variable overrides, each named {@code BAO_<name>} or {@code VAULT_<name>}. */
    private static final Map<String, String> FROM_ENV = Map.of("address", "ADDR", "namespace", "NAMESPACE",
            "ca_cert_file", "CACERT", "client_cert_file", "CLIENT_CERT", "client_key_file", "CLIENT_KEY");

    /** What becomes of a version once the operator raises {@code min_decryption_version} past it. */
    public enum Retire {
        /** It stays published until every token it may have signed has expired (the default). */
        AFTER_EXPIRY,
        /** It leaves the JWKS at the next poll, and tokens it signed stop verifying: for a leaked key. */
        IMMEDIATELY
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

    /** The settings as written, bound by {@link ConfigBinder}; absent keys are {@code null}. */
    record Written(String address, String namespace, String caCertFile, String clientCertFile, String clientKeyFile,
                   WrittenAuth auth, Duration timeout, Duration connectTimeout, Duration pollInterval,
                   Duration publishAhead, Duration maxTokenTtl, String retire, Integer batchSize, Integer concurrency) {
    }

    /** The {@code auth:} mapping as written; which keys a method takes is checked after binding. */
    record WrittenAuth(String method, String tokenFile, String mount, String roleId, String roleIdFile,
                       String secretIdFile, String role, String jwtFile) {
    }

    /** Reads the file named by {@value #CONFIG_ENV} (if set), then the environment; see the class comment. */
    public static TransitSettings load(Map<String, String> env) throws CiJwtException {
        String fileName = blankToNull(env.get(CONFIG_ENV));
        Path file = fileName == null ? null : Path.of(fileName);
        String where = file == null ? "transit settings" : "transit config " + file;
        ObjectNode tree = JsonNodeFactory.instance.objectNode();
        if (file != null) {
            JsonNode root = ConfigBinder.readTree(file, where);
            if (!root.isObject()) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, where + ": must be a mapping of settings");
            }
            tree.setAll((ObjectNode) root);
        }
        Map<String, String> origins = new HashMap<>();
        for (Map.Entry<String, String> e : FROM_ENV.entrySet()) {
            Optional<Origin> value = fromEnv(env, e.getValue());
            if (value.isPresent()) {
                tree.put(e.getKey(), value.get().value());
                origins.put(e.getKey(), value.get().name());
            }
        }
        Place at = new Place(where, origins);
        return from(ConfigBinder.bind(tree, Written.class, at::message), env, at);
    }

    /** Where a value came from, for messages: the document, and the variable when one overrode the file. */
    private record Place(String where, Map<String, String> origins) {
        String message(String path, String rule) {
            String key = path.split("[.\\[]", 2)[0];
            String origin = origins.get(key);
            return where + ": " + (path.isEmpty() ? "" : path + ": ") + rule + (origin == null ? "" : " (from " + origin + ")");
        }

        CiJwtException invalid(String path, String rule) {
            return new CiJwtException(ErrorCode.SETTING_INVALID, message(path, rule));
        }
    }

    private static TransitSettings from(Written w, Map<String, String> env, Place at) throws CiJwtException {
        if (present(w.address()).isEmpty()) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, "no Vault address for the transit key source: set"
                    + " VAULT_ADDR or BAO_ADDR, or address in the file $" + CONFIG_ENV + " names");
        }
        URI address = parseAddress(w.address(), at);
        Optional<String> namespace = present(w.namespace()).map(TransitSettings::trimSlashes).filter(s -> !s.isEmpty());
        TlsMaterial tls = tls(w, address, at);

        TransitAuth auth = auth(w.auth() == null ? new WrittenAuth(null, null, null, null, null, null, null, null)
                : w.auth(), env, at);
        if (auth instanceof TransitAuth.Cert && tls.clientCertificate().isEmpty()) {
            throw at.invalid("auth", "method cert needs a client certificate (client_cert_file and client_key_file,"
                    + " or VAULT_CLIENT_CERT and VAULT_CLIENT_KEY)");
        }
        Duration timeout = positive(w.timeout(), DEFAULT_TIMEOUT, "timeout", at);
        Duration connect = positive(w.connectTimeout(), DEFAULT_CONNECT_TIMEOUT, "connect_timeout", at);
        if (connect.compareTo(timeout) > 0) {
            connect = timeout;
        }
        Duration poll = positive(w.pollInterval(), DEFAULT_POLL_INTERVAL, "poll_interval", at);
        Duration ahead = w.publishAhead() == null ? DEFAULT_PUBLISH_AHEAD : w.publishAhead();
        if (ahead.compareTo(poll) < 0) {
            throw at.invalid("", "publish_ahead " + Durations.format(ahead) + " is shorter than poll_interval "
                    + Durations.format(poll) + ": a serve process could meet tokens of a version it has not read yet");
        }
        Duration maxTtl = positive(w.maxTokenTtl(), DEFAULT_MAX_TOKEN_TTL, "max_token_ttl", at);
        Retire retire = switch (w.retire() == null ? "after_expiry" : w.retire()) {
            case "after_expiry" -> Retire.AFTER_EXPIRY;
            case "immediately" -> Retire.IMMEDIATELY;
            default -> throw at.invalid("retire", "must be after_expiry or immediately");
        };
        int batch = whole(w.batchSize(), DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE, "batch_size", at);
        int concurrency = whole(w.concurrency(), DEFAULT_CONCURRENCY, MAX_CONCURRENCY, "concurrency", at);
        return new TransitSettings(address, namespace, tls, auth, timeout, connect, poll, ahead, maxTtl, retire, batch,
                concurrency);
    }

    private static TransitAuth auth(WrittenAuth a, Map<String, String> env, Place at) throws CiJwtException {
        String method = a.method() == null ? "token" : a.method();
        switch (method) {
            case "token" -> {
                onlyKeys(a, Set.of("token_file"), method, at);
                Optional<Path> file = present(a.tokenFile()).map(Path::of);
                Optional<String> value = file.isPresent() ? Optional.empty() : fromEnv(env, "TOKEN").map(Origin::value);
                if (file.isEmpty() && value.isEmpty()) {
                    throw new CiJwtException(ErrorCode.SETTING_INVALID, "no Vault token for the transit key source: set"
                            + " VAULT_TOKEN or BAO_TOKEN, or auth (token_file, or method approle, kubernetes, jwt or"
                            + " cert) in the file $" + CONFIG_ENV + " names");
                }
                String envName = blankToNull(env.get("BAO_TOKEN")) != null ? "BAO_TOKEN" : "VAULT_TOKEN";
                return new TransitAuth.Token(value, envName, file);
            }
            case "approle" -> {
                onlyKeys(a, Set.of("mount", "role_id", "role_id_file", "secret_id_file"), method, at);
                Optional<String> roleId = present(a.roleId());
                Optional<Path> roleIdFile = present(a.roleIdFile()).map(Path::of);
                if (roleId.isPresent() == roleIdFile.isPresent()) {
                    throw at.invalid("auth", "method approle needs role_id or role_id_file (one of them)");
                }
                String id = roleId.isPresent() ? roleId.get()
                        : VaultTokens.readFile(roleIdFile.get(), at.where() + ": auth.role_id_file", false);
                Path secretIdFile = present(a.secretIdFile()).map(Path::of)
                        .orElseThrow(() -> at.invalid("auth", "method approle needs secret_id_file"));
                return new TransitAuth.AppRole(mount(a, "approle", at), id, secretIdFile);
            }
            case "kubernetes", "jwt" -> {
                onlyKeys(a, Set.of("mount", "role", "jwt_file"), method, at);
                String role = present(a.role()).orElseThrow(() -> at.invalid("auth", "method " + method + " needs role"));
                Optional<Path> jwtFile = present(a.jwtFile()).map(Path::of);
                if (jwtFile.isEmpty() && method.equals("jwt")) {
                    throw at.invalid("auth", "method jwt needs jwt_file");
                }
                return new TransitAuth.JwtLogin(method, mount(a, method, at), role, jwtFile.orElse(KUBERNETES_JWT_FILE));
            }
            case "cert" -> {
                onlyKeys(a, Set.of("mount", "role"), method, at);
                return new TransitAuth.Cert(mount(a, "cert", at), present(a.role()));
            }
            default -> throw at.invalid("auth.method", "must be one of token, approle, kubernetes, jwt, cert");
        }
    }

    /** A key that only another method reads is a mistake worth naming, not one to ignore. */
    private static void onlyKeys(WrittenAuth a, Set<String> allowed, String method, Place at) throws CiJwtException {
        Map<String, String> given = new LinkedHashMap<>();
        given.put("token_file", a.tokenFile());
        given.put("mount", a.mount());
        given.put("role_id", a.roleId());
        given.put("role_id_file", a.roleIdFile());
        given.put("secret_id_file", a.secretIdFile());
        given.put("role", a.role());
        given.put("jwt_file", a.jwtFile());
        List<String> extra = new ArrayList<>();
        given.forEach((key, value) -> {
            if (value != null && !allowed.contains(key)) {
                extra.add(key);
            }
        });
        if (!extra.isEmpty()) {
            throw new CiJwtException(ErrorCode.OPTIONS_CONFLICT, at.message("auth", "method " + method
                    + " does not use " + extra));
        }
    }

    private static String mount(WrittenAuth a, String fallback, Place at) throws CiJwtException {
        String mount = trimSlashes(present(a.mount()).orElse(fallback));
        if (mount.startsWith("auth/")) {
            mount = mount.substring("auth/".length());
        }
        if (mount.isEmpty() || mount.contains("..")) {
            throw at.invalid("auth.mount", "is not an auth mount path");
        }
        return mount;
    }

    /**
     * The TLS files, read once through core's PEM reader: a CA bundle to trust instead of the JDK's,
     * and a client certificate with its key (RSA or EC, PKCS#8, PKCS#1 or SEC 1), checked to be one pair.
     */
    private static TlsMaterial tls(Written w, URI address, Place at) throws CiJwtException {
        Optional<Path> ca = present(w.caCertFile()).map(Path::of);
        Optional<Path> cert = present(w.clientCertFile()).map(Path::of);
        Optional<Path> key = present(w.clientKeyFile()).map(Path::of);
        if (cert.isPresent() != key.isPresent()) {
            throw tlsInvalid(at, cert.isPresent() ? "client_key_file" : "client_cert_file", "is required: a client"
                    + " certificate and its key must be given together (client_cert_file and client_key_file, or"
                    + " VAULT_CLIENT_CERT and VAULT_CLIENT_KEY)");
        }
        if ((ca.isPresent() || cert.isPresent()) && "http".equals(address.getScheme())) {
            throw tlsInvalid(at, "address", "is http, but TLS files are given (ca_cert_file, client_cert_file)");
        }
        Optional<TlsMaterial.ClientCertificate> client = Optional.empty();
        if (key.isPresent()) {
            // The key first: a key file that others can read is refused whatever else is wrong.
            PrivateKey privateKey = PemReader.readPrivateKey(key.get(), at.where() + ": client_key_file",
                    rule -> tlsInvalid(at, "client_key_file", rule));
            List<X509Certificate> chain = PemReader.readCertificates(cert.orElseThrow(),
                    rule -> tlsInvalid(at, "client_cert_file", rule));
            client = Optional.of(TlsMaterial.ClientCertificate.of(chain, privateKey,
                    rule -> tlsInvalid(at, "client_key_file", "file " + key.get() + " " + rule), cert.get().toString()));
        }
        List<X509Certificate> trust = List.of();
        if (ca.isPresent()) {
            trust = PemReader.readCertificates(ca.get(), rule -> tlsInvalid(at, "ca_cert_file", rule));
        }
        return new TlsMaterial(trust, client);
    }

    private static CiJwtException tlsInvalid(Place at, String key, String rule) {
        return new CiJwtException(ErrorCode.TLS_INVALID, at.message(key, rule));
    }

    /** Checks the Vault address; the message never quotes it, since a URL can carry credentials. */
    private static URI parseAddress(String text, Place at) throws CiJwtException {
        String rule = "must be an absolute http or https URL with a host and no user info, query or fragment";
        try {
            URI uri = new URI(text.strip());
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                throw at.invalid("address", rule);
            }
            return uri;
        } catch (URISyntaxException e) {
            throw at.invalid("address", rule);
        }
    }

    /** One value from the environment and the variable it came from. */
    private record Origin(String name, String value) {
    }

    /** {@code BAO_<name>} or {@code VAULT_<name>}; both set to different values is an error. */
    private static Optional<Origin> fromEnv(Map<String, String> env, String name) throws CiJwtException {
        String bao = blankToNull(env.get("BAO_" + name));
        String vault = blankToNull(env.get("VAULT_" + name));
        if (bao != null && vault != null && !bao.equals(vault)) {
            throw new CiJwtException(ErrorCode.OPTIONS_CONFLICT, "environment variables BAO_" + name + " and VAULT_"
                    + name + " are both set, to different values; unset one");
        }
        return bao != null ? Optional.of(new Origin("BAO_" + name, bao))
                : vault != null ? Optional.of(new Origin("VAULT_" + name, vault)) : Optional.empty();
    }

    private static Duration positive(Duration given, Duration fallback, String key, Place at) throws CiJwtException {
        Duration d = given == null ? fallback : given;
        if (d.isZero() || d.isNegative()) {
            throw at.invalid(key, "must be longer than 0");
        }
        return d;
    }

    private static int whole(Integer given, int fallback, int max, String key, Place at) throws CiJwtException {
        if (given == null) {
            return fallback;
        }
        if (given < 1 || given > max) {
            throw at.invalid(key, "must be a whole number from 1 to " + max);
        }
        return given;
    }

    private static Optional<String> present(String value) {
        return Optional.ofNullable(blankToNull(value));
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
}
