package org.cijwt.concourse;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.cijwt.concourse.ConcourseHttp.Answer;
import org.cijwt.concourse.ConcourseHttp.Deadline;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.delivery.ContainerId;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks Concourse who a container is and whether a build has ended, as a user the operator names.
 *
 * <p>It logs in with the password grant of Concourse's token endpoint, as {@code fly login} does,
 * and logs in again once three quarters of the token's lifetime have passed, or when Concourse
 * answers 401. Concourse has no call that finds a container's team from its handle, so
 * {@link #identify} asks every team the user can see ({@code GET /api/v1/teams}) at once; the one
 * that has the handle answers 200, the others 404. The team comes from the container's build
 * ({@code team_name}), its id from the team list.
 *
 * <p>What it caches: the team list for {@link #TEAMS_TTL} (asked again at once when a handle is in
 * none of the teams, so a team made a moment ago is found); a container's identity until the
 * caller says the container is gone ({@link #forget}), since a handle names one container for
 * life; a build's status once it is final. Nothing negative is cached.
 *
 * <p>Every operation finishes within the settings' timeout, logins and retries included, or fails
 * with one {@code CJ801} line naming Concourse's URL and the reason: a caller can then refuse the
 * container (fail closed). Neither the password nor the token is ever in a message or a log line.
 * Thread-safe.
 */
public final class ConcourseClient implements AutoCloseable {
    /** How long the list of teams the user can see is used before it is asked again. */
    public static final Duration TEAMS_TTL = Duration.ofSeconds(30);
    /** A team list younger than this is not asked again when a handle is in none of its teams. */
    static final Duration TEAMS_MIN_AGE = Duration.ofSeconds(1);
    /** How many identities and final build statuses are kept. */
    static final int CACHE_SIZE = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(ConcourseClient.class);
    /** Concourse's own public client for the password grant, the one {@code fly} uses. */
    private static final String CLIENT_AUTH = "Basic " + Base64.getEncoder()
            .encodeToString("fly:Zmx5".getBytes(StandardCharsets.US_ASCII));
    private static final String SCOPES = "openid profile email federated:id groups";

    private final ConcourseSettings settings;
    private final Clock clock;
    private final ConcourseHttp http;
    private final ReentrantLock loginLock = new ReentrantLock();
    private final AtomicInteger logins = new AtomicInteger();
    private final Cache<String, Identity.Found> containers = Caffeine.newBuilder().maximumSize(CACHE_SIZE).build();
    private final Cache<String, BuildStatus> finishedBuilds = Caffeine.newBuilder().maximumSize(CACHE_SIZE).build();
    private volatile Session session;
    private volatile Teams teams;
    private volatile boolean closed;

    /** A bearer token, when it was issued and how long Concourse said it lives. */
    private record Session(String token, Instant issued, Duration lifetime) {
        boolean fresh(Instant now) {
            return now.isBefore(issued.plus(lifetime.multipliedBy(3).dividedBy(4)));
        }

        @Override
        public String toString() {
            return "Session[issued " + issued + ", lifetime " + lifetime + "]";
        }
    }

    /** The teams the user can see, by name in Concourse's order, with their ids. */
    private record Teams(Map<String, String> idsByName, Instant fetched) {
    }

    private ConcourseClient(ConcourseSettings settings, Clock clock) throws CiJwtException {
        this.settings = settings;
        this.clock = clock;
        this.http = new ConcourseHttp(settings);
    }

    /** A client for the settings; nothing is asked until the first call (see {@link #login()}). */
    public static ConcourseClient create(ConcourseSettings settings) throws CiJwtException {
        return create(settings, Clock.systemUTC());
    }

    /**
     * As {@link #create(ConcourseSettings)}, with the clock that decides when the token is old.
     *
     * @throws CiJwtException {@code CJ407} when the CA file cannot be used
     */
    public static ConcourseClient create(ConcourseSettings settings, Clock clock) throws CiJwtException {
        return new ConcourseClient(settings, clock);
    }

    /** Concourse's URL. */
    public URI url() {
        return settings.url();
    }

    /**
     * Logs in now, so that a wrong password or an unreachable Concourse shows at start-up rather
     * than at the first container.
     *
     * @throws CiJwtException {@code CJ802} refused, {@code CJ803} the password file, {@code CJ801} no answer
     */
    public void login() throws CiJwtException {
        Session before = session;
        renew(before, Deadline.after(settings.timeout()));
    }

    /**
     * Which build {@code handle} (the id runc gets) is a container of, by asking each team the user
     * can see; see {@link Identity} for the outcomes.
     *
     * @throws IllegalArgumentException when {@code handle} is not a container id ({@link ContainerId})
     * @throws CiJwtException {@code CJ801} when Concourse does not answer in time or answers what cannot
     *     be used; {@code CJ802}, {@code CJ803} when the login fails
     */
    public Identity identify(String handle) throws CiJwtException {
        ContainerId.requireValid(handle);
        Identity.Found known = containers.getIfPresent(handle);
        if (known != null) {
            return known;
        }
        Deadline deadline = Deadline.after(settings.timeout());
        String what = "the look-up of container " + handle;
        Teams visible = teams(deadline, false);
        Optional<Located> located = locate(handle, visible.idsByName().keySet(), deadline, what);
        if (located.isEmpty() && age(visible).compareTo(TEAMS_MIN_AGE) >= 0) {
            // A team made (or a role given) since the list was read: ask the teams that are new.
            Teams now = teams(deadline, true);
            List<String> added = new ArrayList<>(now.idsByName().keySet());
            added.removeAll(visible.idsByName().keySet());
            visible = now;
            if (!added.isEmpty()) {
                located = locate(handle, added, deadline, what);
            }
        }
        if (located.isEmpty()) {
            return new Identity.NotFound(handle, settings.url(), settings.user(), List.copyOf(visible.idsByName().keySet()));
        }
        Identity identity = identity(handle, located.get(), visible, deadline, what);
        if (identity instanceof Identity.Found found) {
            containers.put(handle, found);
        }
        return identity;
    }

    /** The container is gone: its identity is not kept any longer. */
    public void forget(String handle) {
        containers.invalidate(handle);
    }

    /**
     * The status of build {@code buildId}, or empty when Concourse shows no such build to the user.
     *
     * @throws CiJwtException {@code CJ101} for an id that is not a number; {@code CJ801}, {@code CJ802},
     *     {@code CJ803} as for {@link #identify}
     */
    public Optional<BuildStatus> buildStatus(String buildId) throws CiJwtException {
        if (buildId == null || !buildId.matches("[1-9][0-9]{0,18}")) {
            throw new CiJwtException(ErrorCode.METADATA_INVALID, "build id '" + Printable.of(buildId) + "' is not a Concourse build id");
        }
        BuildStatus known = finishedBuilds.getIfPresent(buildId);
        if (known != null) {
            return Optional.of(known);
        }
        Deadline deadline = Deadline.after(settings.timeout());
        Optional<JsonNode> build = build(buildId, deadline, "the status of build " + buildId);
        if (build.isEmpty()) {
            return Optional.empty();
        }
        BuildStatus status = status(build.get(), "the status of build " + buildId);
        if (status.finished()) {
            finishedBuilds.put(buildId, status);
        }
        return Optional.of(status);
    }

    /** The number of logins so far (for tests: refreshes are otherwise invisible). */
    int logins() {
        return logins.get();
    }

    /** The current bearer token, for a test that revokes it at Concourse; never log it. */
    Optional<String> currentTokenForTest() {
        Session s = session;
        return s == null ? Optional.empty() : Optional.of(s.token());
    }

    /** A container found in {@code team}, as Concourse answered. */
    private record Located(String team, JsonNode container) {
    }

    /**
     * Asks the teams at once; a 401 (a token Concourse no longer accepts) means one login and one
     * more round. A 403 is a team the user lost its role in since the list was read: not there.
     */
    private Optional<Located> locate(String handle, Collection<String> teamNames, Deadline deadline, String what)
            throws CiJwtException {
        List<String> names = List.copyOf(teamNames);
        if (names.isEmpty()) {
            return Optional.empty();
        }
        for (int round = 1; ; round++) {
            Session s = session(deadline);
            List<HttpRequest.Builder> requests = new ArrayList<>();
            for (String team : names) {
                requests.add(get(ConcourseHttp.path("api", "v1", "teams", team, "containers", handle), s));
            }
            List<Answer> answers = http.sendAll(requests, deadline, what);
            Located found = null;
            boolean unauthorized = false;
            for (int i = 0; i < names.size(); i++) {
                Answer a = answers.get(i);
                switch (a.status()) {
                    case 200 -> {
                        if (found == null) {
                            found = new Located(names.get(i), a.json(http, what));
                        }
                    }
                    case 404, 403 -> {
                        // not in this team, or no role in it any more
                    }
                    case 401 -> unauthorized = true;
                    default -> throw http.unexpected(what + " in team " + Printable.quoted(names.get(i)), a);
                }
            }
            if (found != null) {
                return Optional.of(found);
            }
            if (!unauthorized) {
                return Optional.empty();
            }
            if (round == 2) {
                throw http.unusable(what, "it refused a token it had just issued (401)");
            }
            renew(s, deadline);
        }
    }

    private Identity identity(String handle, Located located, Teams visible, Deadline deadline, String what)
            throws CiJwtException {
        JsonNode c = located.container();
        if (!handle.equals(c.path("id").asText())) {
            throw http.unusable(what, "it answered for container " + Printable.quoted(c.path("id").asText()));
        }
        String buildId = positive(c, "build_id");
        if (buildId == null) {
            return new Identity.NoBuild(handle, located.team(), text(c, "type"));
        }
        JsonNode build = build(buildId, deadline, what).orElseThrow(() ->
                http.unusable(what, "it shows the container's build " + buildId + " nowhere"));
        String team = text(build, "team_name");
        if (team == null || !team.equals(located.team())) {
            throw http.unusable(what, "the container is in team " + Printable.quoted(located.team()) + " but its build "
                    + buildId + " in team " + Printable.quoted(team));
        }
        String teamId = visible.idsByName().get(team);
        if (teamId == null) {
            teamId = teams(deadline, true).idsByName().get(team);
        }
        try {
            BuildMetadata metadata = BuildMetadata.builder()
                    .team(team)
                    .teamId(teamId)
                    .pipeline(text(c, "pipeline_name"))
                    .pipelineId(positive(c, "pipeline_id"))
                    .instanceVars(instanceVars(c))
                    .job(text(c, "job_name"))
                    .jobId(positive(c, "job_id"))
                    .buildId(buildId)
                    .buildName(text(c, "build_name"))
                    .task(text(c, "step_name"))
                    .stepType(text(c, "type"))
                    .worker(text(c, "worker_name"))
                    .build();
            return new Identity.Found(handle, metadata);
        } catch (CiJwtException e) {
            throw http.unusable(what, e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> instanceVars(JsonNode container) {
        JsonNode vars = container.path("pipeline_instance_vars");
        return vars.isObject() ? ConcourseHttp.JSON.convertValue(vars, Map.class) : Map.of();
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isTextual() && !v.asText().isEmpty() ? v.asText() : null;
    }

    /** Concourse leaves an id out (or 0) where the container has none. */
    private static String positive(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.canConvertToLong() && v.asLong() > 0 ? Long.toString(v.asLong()) : null;
    }

    private BuildStatus status(JsonNode build, String what) throws CiJwtException {
        String word = build.path("status").asText();
        return BuildStatus.of(word).orElseThrow(() -> http.unusable(what, "unknown build status " + Printable.quoted(word)));
    }

    /**
     * {@code GET /api/v1/builds/:id}. Concourse answers 404, not 401, to a token it no longer
     * accepts, so a 404 is asked again once with a new login before it counts.
     */
    private Optional<JsonNode> build(String buildId, Deadline deadline, String what) throws CiJwtException {
        String path = ConcourseHttp.path("api", "v1", "builds", buildId);
        for (int round = 1; ; round++) {
            Session s = session(deadline);
            Answer a = http.send(get(path, s), deadline, what);
            switch (a.status()) {
                case 200 -> {
                    return Optional.of(a.json(http, what));
                }
                case 401, 404 -> {
                    if (round == 2) {
                        if (a.status() == 401) {
                            throw http.unusable(what, "it refused a token it had just issued (401)");
                        }
                        return Optional.empty();
                    }
                    renew(s, deadline);
                }
                default -> throw http.unexpected(what, a);
            }
        }
    }

    private Teams teams(Deadline deadline, boolean refresh) throws CiJwtException {
        Teams t = teams;
        if (!refresh && t != null && age(t).compareTo(TEAMS_TTL) < 0) {
            return t;
        }
        String what = "the list of teams user '" + Printable.of(settings.user()) + "' can see";
        for (int round = 1; ; round++) {
            Session s = session(deadline);
            Answer a = http.send(get("/api/v1/teams", s), deadline, what);
            if (a.status() == 401 && round == 1) {
                renew(s, deadline);
                continue;
            }
            if (a.status() != 200) {
                throw http.unexpected(what, a);
            }
            JsonNode list = a.json(http, what);
            if (!list.isArray()) {
                throw http.unusable(what, "not a list");
            }
            Map<String, String> ids = new LinkedHashMap<>();
            for (JsonNode team : list) {
                String name = text(team, "name");
                String id = positive(team, "id");
                if (name == null || id == null) {
                    throw http.unusable(what, "a team without a name or an id");
                }
                ids.put(name, id);
            }
            // In Concourse's order, which shapes the messages.
            Teams fetched = new Teams(Collections.unmodifiableMap(ids), clock.instant());
            teams = fetched;
            return fetched;
        }
    }

    private Duration age(Teams t) {
        Duration d = Duration.between(t.fetched(), clock.instant());
        return d.isNegative() ? Duration.ZERO : d;
    }

    private HttpRequest.Builder get(String path, Session s) {
        return http.request(path).GET().header("Authorization", "Bearer " + s.token());
    }

    /** A fresh session: the current one, or a new login when it is old or missing. */
    private Session session(Deadline deadline) throws CiJwtException {
        Session s = session;
        if (s != null && s.fresh(clock.instant())) {
            return s;
        }
        return renew(s, deadline);
    }

    /**
     * Logs in unless another thread already replaced {@code stale} meanwhile; one login at a time,
     * so a burst of containers costs one.
     */
    private Session renew(Session stale, Deadline deadline) throws CiJwtException {
        if (closed) {
            throw new CiJwtException(ErrorCode.CONCOURSE_UNAVAILABLE, "the client for Concourse at " + settings.url()
                    + " is closed");
        }
        try {
            if (!loginLock.tryLock(deadline.remaining().toNanos(), TimeUnit.NANOSECONDS)) {
                throw new CiJwtException(ErrorCode.CONCOURSE_UNAVAILABLE, "Concourse at " + settings.url()
                        + " did not answer the login of user '" + Printable.of(settings.user()) + "' within "
                        + ConcourseHttp.readable(deadline.total()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CiJwtException(ErrorCode.CONCOURSE_UNAVAILABLE, "the login at Concourse " + settings.url()
                    + " was interrupted");
        }
        try {
            Session current = session;
            if (current != null && current != stale && current.fresh(clock.instant())) {
                return current;
            }
            Session fresh = passwordGrant(deadline);
            session = fresh;
            return fresh;
        } finally {
            loginLock.unlock();
        }
    }

    private Session passwordGrant(Deadline deadline) throws CiJwtException {
        String password = PasswordFile.read(settings.passwordFile());
        String user = Printable.of(settings.user());
        String what = "the login of user '" + user + "'";
        String form = "grant_type=password&username=" + form(settings.user()) + "&password=" + form(password)
                + "&scope=" + form(SCOPES);
        Instant issued = clock.instant();
        Answer a = http.send(http.request("/sky/issuer/token")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", CLIENT_AUTH)
                .POST(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8)), deadline, what);
        if (a.status() == 401 || a.status() == 400 || a.status() == 403) {
            String error = errorOf(a);
            throw new CiJwtException(ErrorCode.CONCOURSE_LOGIN_REFUSED, "Concourse at " + settings.url() + " refused "
                    + what + " (HTTP " + a.status() + (error.isEmpty() ? "" : ": " + error) + "); check "
                    + ConcourseSettings.USER + " and " + ConcourseSettings.PASSWORD_FILE + " " + settings.passwordFile());
        }
        if (a.status() != 200) {
            throw http.unexpected(what, a);
        }
        JsonNode answer = a.json(http, what);
        String token = answer.path("access_token").asText("");
        long expiresIn = answer.path("expires_in").asLong(0);
        if (token.isEmpty() || !answer.path("token_type").asText("").equalsIgnoreCase("bearer") || expiresIn <= 0) {
            throw http.unusable(what, "no bearer token with a lifetime");
        }
        logins.incrementAndGet();
        LOG.debug("logged in to Concourse at {} as {}; the token lives {} s", settings.url(), user, expiresIn);
        return new Session(token, issued, Duration.ofSeconds(expiresIn));
    }

    /** Dex's error and description, which name the problem and never the password. */
    private static String errorOf(Answer a) {
        try {
            JsonNode json = ConcourseHttp.JSON.readTree(a.body());
            String error = json.path("error").asText("");
            String description = json.path("error_description").asText("");
            return Printable.of((error + (description.isEmpty() ? "" : " " + description)).strip());
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static String form(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * Revokes the current token at Concourse ({@code /sky/logout}), so it does not outlive the
     * process by its lifetime; a Concourse that does not answer within the timeout is left alone.
     */
    @Override
    public void close() {
        closed = true;
        Session s = session;
        session = null;
        if (s == null) {
            return;
        }
        try {
            Answer a = http.send(http.request("/sky/logout").GET().header("Cookie", "skymarshal_auth=bearer " + s.token()),
                    Deadline.after(settings.timeout()), "the logout of user '" + Printable.of(settings.user()) + "'");
            if (a.status() != 200) {
                LOG.info("Concourse at {} answered the logout with HTTP {}; the token expires by itself", settings.url(),
                        a.status());
            }
        } catch (CiJwtException e) {
            LOG.info("{}; the token expires by itself", e.userMessage());
        }
    }

    @Override
    public String toString() {
        return "ConcourseClient[" + settings.url() + ", user " + settings.user() + "]";
    }
}
