package org.cijwt.vault;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.cijwt.config.ConfigBinder;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.keys.PemReader;
import org.cijwt.vault.client.TlsMaterial;

/**
 * What only the operator of a worker sets for the Vault var source: the Vault addresses and JWT
 * auth mounts a pipeline's {@code var_sources} entry may use, and the host's TLS files (a CA bundle,
 * a client certificate and its key). Pipelines can name none of these: file paths and other host
 * resources come from here only, and {@link #admit} refuses a pipeline entry that reaches past them.
 *
 * <p>Written as YAML ({@link #fromFile}), bound by {@link ConfigBinder} like every configuration
 * file, or built in code ({@link #builder()}); either way the rules are checked, and the files read,
 * once, when the settings are loaded.
 *
 * @param allowedAddresses Vault base URLs, normalised (lower-case scheme and host, explicit port, no trailing slash)
 * @param allowedAuthPaths auth mounts, each with its namespace in front when it has one ({@code team-a/concourse})
 * @param tls the host's CA bundle and client certificate; {@link TlsMaterial#NONE} when none is set
 */
public record VaultOperatorSettings(List<URI> allowedAddresses, List<String> allowedAuthPaths, TlsMaterial tls) {

    /** The settings file as written; absent keys are {@code null}. */
    record Settings(List<String> allowedAddresses, List<String> allowedAuthPaths, String caCertFile,
                    String clientCertFile, String clientKeyFile) {
    }

    public VaultOperatorSettings {
        allowedAddresses = List.copyOf(allowedAddresses);
        allowedAuthPaths = List.copyOf(allowedAuthPaths);
        Objects.requireNonNull(tls, "tls");
    }

    /** Reads the settings file (JSON when its name ends in {@code .json}, else YAML); errors begin with its path. */
    public static VaultOperatorSettings fromFile(Path file) throws CiJwtException {
        return fromTree(ConfigBinder.readTree(file, "Vault operator settings " + file), file.toString());
    }

    /** Reads settings written as YAML; {@code origin} (a file name, say) begins every error. */
    public static VaultOperatorSettings fromYaml(String yaml, String origin) throws CiJwtException {
        return fromTree(ConfigBinder.readTree(Objects.requireNonNull(yaml, origin), origin), origin);
    }

    private static VaultOperatorSettings fromTree(JsonNode tree, String origin) throws CiJwtException {
        return from(ConfigBinder.bind(tree, Settings.class, ConfigBinder.in(origin)), origin + ":");
    }

    private static VaultOperatorSettings from(Settings s, String origin) throws CiJwtException {
        String addressesAt = VaultVarSourceConfig.key(origin, "allowed_addresses");
        if (s.allowedAddresses() == null || s.allowedAddresses().isEmpty()) {
            throw invalid(addressesAt, "is required: list the Vault addresses pipelines may use");
        }
        Set<URI> addresses = new LinkedHashSet<>();
        for (int i = 0; i < s.allowedAddresses().size(); i++) {
            String at = addressesAt + "[" + i + "]";
            String text = s.allowedAddresses().get(i);
            if (text == null || text.isBlank()) {
                throw invalid(at, "must not be empty");
            }
            addresses.add(normalizeAddress(VaultVarSourceConfig.parseUrl(text, at)));
        }
        String authAt = VaultVarSourceConfig.key(origin, "allowed_auth_paths");
        if (s.allowedAuthPaths() == null || s.allowedAuthPaths().isEmpty()) {
            throw invalid(authAt, "is required: list the JWT auth mounts pipelines may log in at");
        }
        Set<String> authPaths = new LinkedHashSet<>();
        for (int i = 0; i < s.allowedAuthPaths().size(); i++) {
            String at = authAt + "[" + i + "]";
            String text = s.allowedAuthPaths().get(i);
            String normalised = text == null ? "" : VaultVarSourceConfig.normalizeAuthPath(text);
            if (normalised.isEmpty()) {
                throw invalid(at, "must name an auth mount, e.g. concourse or team-a/concourse");
            }
            for (String segment : normalised.split("/")) {
                if (segment.equals(".") || segment.equals("..")) {
                    throw invalid(at, "has a '.' or '..' path segment");
                }
            }
            authPaths.add(normalised);
        }
        List<X509Certificate> trust = List.of();
        Optional<String> caFile = present(s.caCertFile());
        if (caFile.isPresent()) {
            String at = VaultVarSourceConfig.key(origin, "ca_cert_file");
            trust = PemReader.readCertificates(file(caFile.get(), at), rule -> tlsInvalid(at, rule));
        }
        Optional<String> certFile = present(s.clientCertFile());
        Optional<String> keyFile = present(s.clientKeyFile());
        if (certFile.isPresent() != keyFile.isPresent()) {
            throw invalid(VaultVarSourceConfig.key(origin, certFile.isPresent() ? "client_key_file" : "client_cert_file"),
                    "is required: client_cert_file and client_key_file go together");
        }
        Optional<TlsMaterial.ClientCertificate> client = Optional.empty();
        if (certFile.isPresent()) {
            String certAt = VaultVarSourceConfig.key(origin, "client_cert_file");
            String keyAt = VaultVarSourceConfig.key(origin, "client_key_file");
            Path keyPath = file(keyFile.get(), keyAt);
            // The key first: a key file that others can read is refused whatever else is wrong.
            PrivateKey key = PemReader.readPrivateKey(keyPath, keyAt, rule -> tlsInvalid(keyAt, rule));
            List<X509Certificate> chain = PemReader.readCertificates(file(certFile.get(), certAt),
                    rule -> tlsInvalid(certAt, rule));
            client = Optional.of(TlsMaterial.ClientCertificate.of(chain, key,
                    rule -> tlsInvalid(keyAt, "file " + keyPath + " " + rule), certFile.get()));
        }
        return new VaultOperatorSettings(List.copyOf(addresses), List.copyOf(authPaths), new TlsMaterial(trust, client));
    }

    /** An operator's file name, which must be absolute: a relative one would depend on where the worker was started. */
    private static Path file(String name, String at) throws CiJwtException {
        Path file = Path.of(name);
        if (!file.isAbsolute()) {
            throw invalid(at, "must be an absolute path");
        }
        return file;
    }

    private static CiJwtException tlsInvalid(String at, String rule) {
        return new CiJwtException(ErrorCode.TLS_INVALID, at + ": " + rule);
    }

    /** Starts settings built in code, with the same rules as the YAML form. */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects settings; {@link #build()} applies every rule. */
    public static final class Builder {
        private final List<String> addresses = new ArrayList<>();
        private final List<String> authPaths = new ArrayList<>();
        private String caCertFile;
        private String clientCertFile;
        private String clientKeyFile;

        private Builder() {
        }

        /** Allows one Vault address, e.g. {@code https://vault.example.com:8200}. */
        public Builder allowAddress(URI address) {
            addresses.add(address.toString());
            return this;
        }

        /** Allows one auth mount, with its namespace in front when it has one. */
        public Builder allowAuthPath(String authPath) {
            authPaths.add(authPath);
            return this;
        }

        /** The CA bundle every allowed address is verified with, unless a pipeline brings its own. */
        public Builder caCertFile(Path file) {
            caCertFile = file.toString();
            return this;
        }

        /** The host's client certificate, presented to the allowed addresses only. */
        public Builder clientCertificateFiles(Path certificate, Path privateKey) {
            clientCertFile = certificate.toString();
            clientKeyFile = privateKey.toString();
            return this;
        }

        public VaultOperatorSettings build() throws CiJwtException {
            return from(new Settings(addresses, authPaths, caCertFile, clientCertFile, clientKeyFile),
                    "Vault operator settings:");
        }
    }

    /**
     * Checks a pipeline's entry against these settings and decides the TLS material of its
     * connection, once, when the pipeline's var sources are loaded.
     *
     * <ul>
     *   <li>{@code url} must be one of {@link #allowedAddresses()};</li>
     *   <li>{@code namespace} plus {@code auth_path} must be one of {@link #allowedAuthPaths()};</li>
     *   <li>trust: the pipeline's {@code ca_cert}, else the operator's CA file, else the JVM's default;</li>
     *   <li>client certificate: the pipeline's own, else the operator's; a pipeline's {@code ca_cert}
     *       without its own client certificate is refused while the operator presents one, because
     *       it would let the pipeline decide which server receives the host's certificate.</li>
     * </ul>
     */
    public AdmittedVarSource admit(VaultVarSourceConfig config) throws CiJwtException {
        String at = config.origin() + ".config";
        if (!allowedAddresses.contains(normalizeAddress(config.url()))) {
            throw invalid(VaultVarSourceConfig.key(at, "url"), "is not a Vault address the operator allows on this worker"
                    + " (allowed_addresses: " + join(allowedAddresses) + ")");
        }
        if (!allowedAuthPaths.contains(config.qualifiedAuthPath())) {
            throw invalid(VaultVarSourceConfig.key(at, "auth_path"), "with its namespace is not an auth mount the operator"
                    + " allows on this worker (allowed_auth_paths: " + join(allowedAuthPaths) + ")");
        }
        TlsMaterial own = config.tls();
        if (!own.trustAnchors().isEmpty() && own.clientCertificate().isEmpty() && tls.clientCertificate().isPresent()) {
            throw new CiJwtException(ErrorCode.OPTIONS_CONFLICT, VaultVarSourceConfig.key(at, "ca_cert") + ": cannot be used"
                    + " on this worker without the pipeline's own client_cert and client_key: the operator presents"
                    + " the host's client certificate, and only the operator's trust decides who receives it");
        }
        List<X509Certificate> trust = own.trustAnchors().isEmpty() ? tls.trustAnchors() : own.trustAnchors();
        Optional<TlsMaterial.ClientCertificate> client = own.clientCertificate().isPresent()
                ? own.clientCertificate() : tls.clientCertificate();
        return new AdmittedVarSource(config, new TlsMaterial(trust, client));
    }

    /** {@code HTTPS://Vault.Example.com/} and {@code https://vault.example.com:443} are the same address. */
    static URI normalizeAddress(URI url) {
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        int port = url.getPort() != -1 ? url.getPort() : "https".equals(scheme) ? 443 : 80;
        String path = url.getRawPath() == null ? "" : url.getRawPath().replaceAll("/+$", "");
        return URI.create(scheme + "://" + url.getHost().toLowerCase(Locale.ROOT) + ":" + port + path);
    }

    private static String join(List<?> values) {
        List<String> out = new ArrayList<>();
        values.forEach(v -> out.add(String.valueOf(v)));
        return String.join(", ", out);
    }

    private static Optional<String> present(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value);
    }

    private static CiJwtException invalid(String where, String rule) {
        return new CiJwtException(ErrorCode.SETTING_INVALID, where + ": " + rule);
    }
}
