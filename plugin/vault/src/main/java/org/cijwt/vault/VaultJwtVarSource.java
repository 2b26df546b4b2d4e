package org.cijwt.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.vault.client.Deadline;
import org.cijwt.vault.client.VaultAnswer;
import org.cijwt.vault.client.VaultClient;
import org.cijwt.vault.client.VaultFailure;
import org.cijwt.vault.client.VaultRequest;
import org.cijwt.vault.client.VaultTokens;
import org.cijwt.vars.VarReference;
import org.cijwt.vars.VarResolutionException;
import org.cijwt.vars.VarSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code type: vault} var source with {@code auth_type: jwt}: for each build it mints a token
 * for that build, logs in at {@code auth/<auth_path>/login} with the configured role, keeps the
 * Vault token for the build ({@link VaultTokens}: logging in again when two thirds of its lease have
 * passed), and reads secrets from KV version 1 or 2 through the lookup templates, then
 * {@code shared_path}; no other path is tried. Every request goes through the one
 * {@link VaultClient}, with the source's timeouts and retries.
 *
 * <p>Neither the minted JWT nor the Vault token is ever logged or put in an exception message.
 */
public final class VaultJwtVarSource implements VarSource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VaultJwtVarSource.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The backoff between retries doubles up to this. */
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** The key whose value a secret stands for, as in Concourse's Vault source. */
    public static final String VALUE_KEY = "value";

    private final AdmittedVarSource source;
    private final VaultVarSourceConfig config;
    private final TokenMinter minter;
    private final ClaimsPolicy policy;
    private final Clock clock;
    private final VaultClient http;
    private final Map<BuildKey, VaultTokens> sessions = new ConcurrentHashMap<>();
    private final List<Mount> mounts = new CopyOnWriteArrayList<>();
    private final AtomicInteger logins = new AtomicInteger();

    /** Which build a Vault token belongs to. */
    private record BuildKey(String team, String pipeline, String buildId) {
        static BuildKey of(BuildMetadata build) {
            return new BuildKey(build.team(), build.pipeline(), build.buildId());
        }
    }

    /** A secrets engine mount and its KV version (1 for KV v1 and any non-KV engine). */
    private record Mount(String path, int kvVersion) {
        boolean contains(String logicalPath) {
            return (logicalPath + "/").startsWith(path);
        }
    }

    /**
     * Creates the source.
     *
     * @param source the pipeline's {@code var_sources} entry as the operator's settings admitted it
     * @param minter mints the build's login token
     * @param policy issuer, subject format and algorithm of the login token; its audiences and ttl
     *     are replaced by the configuration's {@code audience} and {@code token_ttl}
     * @param clock decides when a cached Vault token is due for a new login
     */
    public VaultJwtVarSource(AdmittedVarSource source, TokenMinter minter, ClaimsPolicy policy, Clock clock)
            throws CiJwtException {
        this.source = Objects.requireNonNull(source, "source");
        this.config = source.config();
        this.minter = Objects.requireNonNull(minter, "minter");
        this.policy = Objects.requireNonNull(policy, "policy").toBuilder()
                .audiences(List.of(config.audience()))
                .ttl(config.tokenTtl())
                .build();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.http = new VaultClient(new VaultClient.Connection(config.url(), config.namespace(), source.tls(),
                config.connectTimeout(), new VaultClient.Retries(config.retryMax() + 1, config.retryInitial(), MAX_BACKOFF),
                config.origin() + ".config"));
    }

    @Override
    public String name() {
        return config.name();
    }

    /** The pipeline's configuration this source was made from. */
    public VaultVarSourceConfig config() {
        return config;
    }

    /** The admitted source: configuration and the TLS material in use. */
    public AdmittedVarSource admitted() {
        return source;
    }

    @Override
    public Optional<Object> lookup(VarReference reference, BuildMetadata build) throws VarResolutionException {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(build, "build");
        List<String> paths = candidatePaths(reference.path(), build);
        List<String> denied = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String path : paths) {
            Read read = read(path, build);
            if (read.data() != null) {
                JsonNode data = read.data();
                LOG.debug("{}: found {} for build {}", config.name(), path, build.buildId());
                return Optional.of(data.isObject() && data.has(VALUE_KEY) ? data.get(VALUE_KEY) : data);
            }
            if (read.denied() != null) {
                denied.add("'" + read.apiPath() + "' (" + read.denied() + ")");
            } else {
                missing.add(path);
            }
        }
        if (denied.isEmpty()) {
            throw new VarResolutionException(ErrorCode.VAULT_SECRET_NOT_FOUND, "secret '" + reference.path()
                    + "' not found in Vault at " + config.address() + "; tried " + String.join(", ", paths)
                    + " (role '" + config.authRole() + "')");
        }
        throw new VarResolutionException(ErrorCode.VAULT_SECRET_NOT_FOUND, "secret '" + reference.path()
                + "' not readable: "
                + "Vault at " + config.address() + " denied reading " + String.join(", ", denied)
                + " to the token of role '" + config.authRole() + "' at auth/" + config.authPath()
                + (missing.isEmpty() ? "" : "; not found at " + String.join(", ", missing))
                + "; the role's policies must allow read where the secret is");
    }

    /** The outcome of reading one path: the secret's data, a denial with Vault's reason, or neither (not found). */
    private record Read(String apiPath, JsonNode data, String denied) {
    }

    /**
     * The logical paths a secret is looked up at for a build, in order: each lookup template, then
     * {@code shared_path}, each below the path prefix; nothing else. Templates that need the pipeline
     * are skipped for a build without one (a one-off build). Team, pipeline and secret are put in
     * once each and never read as templates themselves.
     *
     * @throws VarResolutionException when the secret name or a team or pipeline name would change
     *     the path's structure (an empty, {@code .} or {@code ..} segment, or a slash in a name)
     */
    public List<String> candidatePaths(String secret, BuildMetadata build) throws VarResolutionException {
        checkSegments(secret);
        checkName(build.team(), "team");
        if (build.pipeline() != null) {
            checkName(build.pipeline(), "pipeline");
        }
        Set<String> paths = new LinkedHashSet<>();
        for (LookupTemplate template : config.lookupTemplates()) {
            render(template, secret, build).ifPresent(paths::add);
        }
        config.sharedPath().flatMap(shared -> render(shared, secret, build)).ifPresent(paths::add);
        return List.copyOf(paths);
    }

    private Optional<String> render(LookupTemplate template, String secret, BuildMetadata build) {
        if (template.needsPipeline() && build.pipeline() == null) {
            return Optional.empty();
        }
        return Optional.of(join(config.pathPrefix() + "/" + template.render(build.team(), build.pipeline(), secret)));
    }

    private static String join(String path) {
        String p = path.replaceAll("/+", "/");
        if (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /** A reference's path is part of the pipeline's text, so it is a syntax rule of this source. */
    private static void checkSegments(String secret) throws VarResolutionException {
        String trimmed = secret.startsWith("/") ? secret.substring(1) : secret;
        for (String segment : trimmed.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new VarResolutionException(ErrorCode.VAR_SYNTAX, "secret name '" + secret
                        + "' has an empty, '.' or '..' segment, which could change which Vault path it names");
            }
        }
    }

    private static void checkName(String name, String what) throws VarResolutionException {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new VarResolutionException(ErrorCode.METADATA_INVALID, what + " name '" + name
                    + "' cannot be used in a Vault path (empty, '/', '.' or '..')");
        }
    }

    /** Reads one logical path. */
    private Read read(String path, BuildMetadata build) throws VarResolutionException {
        VaultTokens tokens = tokens(build);
        Mount mount = mount(path, tokens, build);
        String apiPath = mount.kvVersion() == 2
                ? mount.path() + "data/" + path.substring(mount.path().length())
                : path;
        // A token refused after Vault had accepted it may have been revoked: VaultTokens logs in again once.
        VaultAnswer answer = call(tokens, VaultRequest.get(apiPath, "reading " + apiPath), build);
        if (answer.status() == 404) {
            return new Read(apiPath, null, null);
        }
        if (answer.status() == 403) {
            // Not fatal yet: a later lookup path may hold the secret; lookup() names every denial.
            return new Read(apiPath, null, answer.reason());
        }
        if (!answer.ok()) {
            throw new VarResolutionException(ErrorCode.VAULT_FAILED, "Vault answered " + answer.status()
                    + " reading '" + apiPath + "': " + answer.reason());
        }
        JsonNode data = mount.kvVersion() == 2 ? answer.json().path("data").path("data") : answer.json().path("data");
        if (data.isMissingNode() || data.isNull()) {
            // KV v2 answers a deleted version with metadata but no data.
            return new Read(apiPath, null, null);
        }
        return new Read(apiPath, data, null);
    }

    /** The mount holding {@code path}, found once per mount with {@code sys/internal/ui/mounts}. */
    private Mount mount(String path, VaultTokens tokens, BuildMetadata build) throws VarResolutionException {
        for (Mount known : mounts) {
            if (known.contains(path)) {
                return known;
            }
        }
        VaultAnswer answer = call(tokens, VaultRequest.get("sys/internal/ui/mounts/" + path,
                "finding the mount of " + path), build);
        if (!answer.ok()) {
            // No access or no mount: read the path as it is and let that answer say what is wrong.
            LOG.debug("{}: mount of {} unknown ({}); reading it as KV v1", config.name(), path, answer.reason());
            return new Mount(path + "/", 1);
        }
        JsonNode data = answer.json().path("data");
        String mountPath = data.path("path").asText("");
        if (mountPath.isEmpty() || !(path + "/").startsWith(mountPath)) {
            return new Mount(path + "/", 1);
        }
        boolean kv2 = "kv".equals(data.path("type").asText()) && "2".equals(data.path("options").path("version").asText());
        Mount mount = new Mount(mountPath, kv2 ? 2 : 1);
        mounts.add(mount);
        LOG.debug("{}: mount {} is KV v{}", config.name(), mountPath, mount.kvVersion());
        return mount;
    }

    /** The build's Vault token keeper; it logs in with a JWT minted for the build, and never renews: it logs in again. */
    private VaultTokens tokens(BuildMetadata build) {
        return sessions.computeIfAbsent(BuildKey.of(build), key -> new VaultTokens(http,
                new VaultTokens.Login(config.loginPath(), () -> credentials(build), false,
                        "login at " + config.loginPath(), Optional.of(config.loginTimeout())),
                clock, config.queryTimeout(), false));
    }

    private ObjectNode credentials(BuildMetadata build) throws VarResolutionException {
        MintedToken jwt;
        try {
            jwt = minter.mint(build, policy);
        } catch (CiJwtException e) {
            throw new VarResolutionException(e.code(), "cannot mint the login token for build " + build.buildId()
                    + ": " + e.getMessage(), e);
        }
        logins.incrementAndGet();
        LOG.info("{}: logging in at {} as role '{}' for build {} ({})", config.name(), config.loginPath(),
                config.authRole(), build.buildId(), jwt);
        return JSON.createObjectNode().put("role", config.authRole()).put("jwt", jwt.compact());
    }

    /** One call with the build's token; Vault's failures become this source's CJ601 and CJ602. */
    private VaultAnswer call(VaultTokens tokens, VaultRequest request, BuildMetadata build)
            throws VarResolutionException {
        try {
            return tokens.call(request.eachWithin(config.queryTimeout()), Deadline.none());
        } catch (VaultFailure f) {
            throw f instanceof VaultFailure.Refused refused ? loginRefused(refused, build)
                    : unreachable((VaultFailure.Unreachable) f);
        } catch (VarResolutionException e) {
            throw e;
        } catch (CiJwtException e) {
            throw new VarResolutionException(e.code(), e.getMessage(), e);
        }
    }

    private VarResolutionException unreachable(VaultFailure.Unreachable f) {
        return new VarResolutionException(ErrorCode.VAULT_FAILED, "cannot reach Vault at " + config.address() + " for "
                + f.what() + ": " + f.failure() + " (" + VaultFailure.attempts(f.attempts()) + " in "
                + f.elapsed().toSeconds() + " s)");
    }

    /** 4xx: Vault looked at the token and said no (claims, audience, expiry, role); 5xx: Vault failed. */
    private VarResolutionException loginRefused(VaultFailure.Refused f, BuildMetadata build) {
        String at = config.loginPath() + " for role '" + config.authRole() + "'";
        if (f.status() / 100 == 2) {
            return new VarResolutionException(ErrorCode.VAULT_FAILED, "Vault answered the login at " + at
                    + " without a client token");
        }
        boolean refused = f.status() / 100 == 4;
        return new VarResolutionException(refused ? ErrorCode.VAULT_LOGIN_REFUSED : ErrorCode.VAULT_FAILED,
                (refused ? "Vault refused the login at " : "Vault answered " + f.status() + " to the login at ")
                        + at + " (team " + build.team() + (build.pipeline() == null ? "" : ", pipeline "
                        + build.pipeline()) + "): " + f.reason());
    }

    /**
     * Forgets the build's Vault token and revokes it, for when the build has finished; a failed
     * revocation is logged, since the token expires by itself.
     */
    public void forget(BuildMetadata build) {
        VaultTokens tokens = sessions.remove(BuildKey.of(build));
        if (tokens != null) {
            revoke(tokens, build.buildId());
        }
    }

    private void revoke(VaultTokens tokens, String buildId) {
        try {
            tokens.revoke(Deadline.after(config.queryTimeout()));
        } catch (VaultFailure e) {
            LOG.warn("{}: revoking the Vault token of build {} failed: {}", config.name(), buildId, e.getMessage());
        }
    }

    /** How many logins this source has made; for tests and metrics. */
    public int loginCount() {
        return logins.get();
    }

    /** Revokes every cached Vault token. */
    @Override
    public void close() {
        List<Map.Entry<BuildKey, VaultTokens>> all = new ArrayList<>(sessions.entrySet());
        sessions.clear();
        for (Map.Entry<BuildKey, VaultTokens> entry : all) {
            revoke(entry.getValue(), entry.getKey().buildId());
        }
    }

    @Override
    public String toString() {
        return "VaultJwtVarSource[" + config.name() + " at " + config.address() + ", role " + config.authRole() + "]";
    }
}
