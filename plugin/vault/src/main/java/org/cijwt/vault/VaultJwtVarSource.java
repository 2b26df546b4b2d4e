package org.cijwt.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
import org.cijwt.vars.VarReference;
import org.cijwt.vars.VarResolutionException;
import org.cijwt.vars.VarSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code type: vault} var source with {@code auth_type: jwt}: for each build it mints a token
 * for that build, logs in at {@code auth/<auth_path>/login} with the configured role, keeps the
 * Vault token for the build (logging in again when it expires), and reads secrets from KV version 1
 * or 2 through the lookup templates, then {@code shared_path}; no other path is tried.
 *
 * <p>Neither the minted JWT nor the Vault token is ever logged or put in an exception message.
 */
public final class VaultJwtVarSource implements VarSource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VaultJwtVarSource.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Log in again this long before the Vault token expires, at most a tenth of its lifetime. */
    private static final Duration RENEW_MARGIN = Duration.ofSeconds(30);
    /** The key whose value a secret stands for, as in Concourse's Vault source. */
    public static final String VALUE_KEY = "value";

    private final AdmittedVarSource source;
    private final VaultVarSourceConfig config;
    private final TokenMinter minter;
    private final ClaimsPolicy policy;
    private final Clock clock;
    private final VaultHttp http;
    private final Map<BuildKey, Session> sessions = new ConcurrentHashMap<>();
    private final Map<BuildKey, Object> loginLocks = new ConcurrentHashMap<>();
    private final List<Mount> mounts = new CopyOnWriteArrayList<>();
    private final AtomicInteger logins = new AtomicInteger();

    /** Which build a Vault token belongs to. */
    private record BuildKey(String team, String pipeline, String buildId) {
        static BuildKey of(BuildMetadata build) {
            return new BuildKey(build.team(), build.pipeline(), build.buildId());
        }
    }

    /** A Vault token and when to stop using it; {@link #toString()} leaves the token out. */
    private record Session(String token, Instant renewAt, boolean fresh) {
        Session reused() {
            return fresh ? new Session(token, renewAt, false) : this;
        }

        @Override
        public String toString() {
            return "Session[token=<redacted>, renewAt=" + renewAt + "]";
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
        this.http = new VaultHttp(source);
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
        Session session = session(build);
        Mount mount = mount(path, session.token());
        String apiPath = mount.kvVersion() == 2
                ? mount.path() + "data/" + path.substring(mount.path().length())
                : path;
        VaultHttp.Answer answer = http.send("GET", apiPath, session.token(), null, config.queryTimeout(),
                "reading " + apiPath);
        if (answer.status() == 403 && !session.fresh()) {
            // The cached token may have been revoked or expired early; one new login tells a denial apart.
            LOG.debug("{}: 403 on {} with a cached Vault token; logging in again", config.name(), apiPath);
            sessions.remove(BuildKey.of(build));
            session = session(build);
            answer = http.send("GET", apiPath, session.token(), null, config.queryTimeout(), "reading " + apiPath);
        }
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
    private Mount mount(String path, String token) throws VarResolutionException {
        for (Mount known : mounts) {
            if (known.contains(path)) {
                return known;
            }
        }
        VaultHttp.Answer answer = http.send("GET", "sys/internal/ui/mounts/" + path, token, null,
                config.queryTimeout(), "finding the mount of " + path);
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

    private Session session(BuildMetadata build) throws VarResolutionException {
        BuildKey key = BuildKey.of(build);
        Session cached = sessions.get(key);
        if (cached != null && clock.instant().isBefore(cached.renewAt())) {
            return cached.reused();
        }
        synchronized (loginLocks.computeIfAbsent(key, k -> new Object())) {
            cached = sessions.get(key);
            if (cached != null && clock.instant().isBefore(cached.renewAt())) {
                return cached.reused();
            }
            Session session = login(build);
            sessions.put(key, session.reused());
            return session;
        }
    }

    private Session login(BuildMetadata build) throws VarResolutionException {
        MintedToken jwt;
        try {
            jwt = minter.mint(build, policy);
        } catch (CiJwtException e) {
            throw new VarResolutionException(e.code(), "cannot mint the login token for build " + build.buildId()
                    + ": " + e.getMessage(), e);
        }
        ObjectNode body = JSON.createObjectNode().put("role", config.authRole()).put("jwt", jwt.compact());
        Instant now = clock.instant();
        String what = "login at " + config.loginPath();
        VaultHttp.Answer answer = http.send("POST", config.loginPath(), null, body.toString(), config.loginTimeout(), what);
        logins.incrementAndGet();
        if (!answer.ok()) {
            // 4xx: Vault looked at the token and said no (claims, audience, expiry, role); 5xx: Vault failed.
            boolean refused = answer.status() / 100 == 4;
            throw new VarResolutionException(refused ? ErrorCode.VAULT_LOGIN_REFUSED : ErrorCode.VAULT_FAILED,
                    (refused ? "Vault refused the login at " : "Vault answered " + answer.status() + " to the login at ")
                    + config.loginPath() + " for role '" + config.authRole() + "' (team " + build.team()
                    + (build.pipeline() == null ? "" : ", pipeline " + build.pipeline()) + "): "
                    + redact(answer.reason(), jwt.compact()));
        }
        JsonNode auth = answer.json().path("auth");
        String token = auth.path("client_token").asText("");
        if (token.isEmpty()) {
            throw new VarResolutionException(ErrorCode.VAULT_FAILED, "Vault answered the login at "
                    + config.loginPath() + " for role '" + config.authRole() + "' without a client token");
        }
        long lease = auth.path("lease_duration").asLong(0);
        Instant renewAt = lease <= 0 ? Instant.MAX : now.plusSeconds(lease).minus(margin(Duration.ofSeconds(lease)));
        LOG.info("{}: logged in at {} as role '{}' for build {} ({}), Vault token valid for {} s", config.name(),
                config.loginPath(), config.authRole(), build.buildId(), jwt, lease);
        return new Session(token, renewAt, true);
    }

    private static Duration margin(Duration lease) {
        Duration tenth = lease.dividedBy(10);
        return tenth.compareTo(RENEW_MARGIN) < 0 ? tenth : RENEW_MARGIN;
    }

    private static String redact(String text, String secret) {
        return text.replace(secret, "<token>");
    }

    /**
     * Forgets the build's Vault token and revokes it, for when the build has finished; a failed
     * revocation is logged, since the token expires by itself.
     */
    public void forget(BuildMetadata build) {
        Session session = sessions.remove(BuildKey.of(build));
        loginLocks.remove(BuildKey.of(build));
        if (session != null) {
            revoke(session, build.buildId());
        }
    }

    private void revoke(Session session, String buildId) {
        try {
            VaultHttp.Answer answer = http.send("POST", "auth/token/revoke-self", session.token(), null,
                    config.queryTimeout(), "revoking the Vault token of build " + buildId);
            if (!answer.ok()) {
                LOG.warn("{}: revoking the Vault token of build {} failed: {}", config.name(), buildId, answer.reason());
            }
        } catch (VarResolutionException e) {
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
        List<Map.Entry<BuildKey, Session>> all = new ArrayList<>(sessions.entrySet());
        sessions.clear();
        loginLocks.clear();
        for (Map.Entry<BuildKey, Session> entry : all) {
            revoke(entry.getValue(), entry.getKey().buildId());
        }
    }

    @Override
    public String toString() {
        return "VaultJwtVarSource[" + config.name() + " at " + config.address() + ", role " + config.authRole() + "]";
    }
}
