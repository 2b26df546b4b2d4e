package org.cijwt.vault.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.SecureFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Vault token and its life, for the var source (one per build) and the Transit signer alike: got
 * from its {@link Source} (a token the operator gives, or a login), due when two thirds of its lease
 * have passed, then renewed ({@code renew-self}) or replaced by a new login, and replaced once when
 * Vault refuses it after it had been accepted. The token is never logged and never in a message.
 *
 * <p>With {@code background}, a daemon thread renews when due and learns the lease of a given
 * token ({@code lookup-self}), so an idle signer keeps a live token; either way a caller that
 * finds the token due refreshes it itself.
 */
public final class VaultTokens implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VaultTokens.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Lets a failed renewal retry soon without hammering Vault. */
    private static final Duration RETRY = Duration.ofSeconds(5);
    /** Login fields whose values Vault's answer must never carry into a message. */
    private static final List<String> CREDENTIAL_FIELDS = List.of("jwt", "secret_id", "role_id");

    private final VaultClient client;
    private final Source source;
    private final InstantSource clock;
    private final Duration timeout;
    private final ScheduledExecutorService renewer;

    private String token;
    /** Whether Vault has accepted the current token once; a refusal before that is no reason to log in again. */
    private boolean served;
    /** Instant.MAX when the token does not expire or its lease is unknown. */
    private Instant renewAt = Instant.MAX;
    private Instant expiresAt = Instant.MAX;
    /** When the next refresh should log in again rather than renew (not renewable, or near its max TTL). */
    private boolean loginNext;
    private Duration lease = Duration.ZERO;
    private String tokenFileStamp;
    private ScheduledFuture<?> scheduled;
    private String lastBackgroundError;
    private long renewals;
    private long logins;

    /** Where the token comes from. */
    public sealed interface Source permits Given, Login {
        /** Names it in messages, e.g. {@code AppRole login at auth/approle}. */
        String describe();
    }

    /**
     * A token the operator gives: a value (from {@code $VAULT_TOKEN}), or a file read again when it
     * changes (a Vault Agent sink), which must be private (0600). It is never replaced by a login.
     */
    public record Given(Optional<String> value, Optional<Path> file, String describe) implements Source {
        public Given {
            if (value.isPresent() == file.isPresent()) {
                throw new IllegalArgumentException("a given token is a value or a file");
            }
        }

        @Override
        public String toString() {
            return "Given[" + describe + ", value=<redacted>]";
        }
    }

    /**
     * A login: {@code POST path} with the body {@code credentials} make for each login (a secret id
     * read again, a service-account token read again, a JWT minted for the build).
     *
     * @param renew whether the token is renewed when due; false logs in again instead (the var
     *     source: each login is checked against the build's claims afresh)
     * @param attemptTimeout how long one attempt may wait for the answer; empty: until the deadline
     */
    public record Login(String path, Credentials credentials, boolean renew, String describe,
                        Optional<Duration> attemptTimeout) implements Source {
        public Login {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(credentials, "credentials");
            Objects.requireNonNull(attemptTimeout, "attemptTimeout");
        }
    }

    /** Makes a login's JSON body; called for each login, so rotated credentials are picked up. */
    @FunctionalInterface
    public interface Credentials {
        ObjectNode body() throws CiJwtException;
    }

    /**
     * @param clock decides when the token is due; Transit gives a monotonic one, the var source the
     *     clock its tests move
     * @param timeout bounds each call the daemon makes
     * @param background whether a daemon thread renews (see the class comment)
     */
    public VaultTokens(VaultClient client, Source source, InstantSource clock, Duration timeout, boolean background) {
        this.client = Objects.requireNonNull(client, "client");
        this.source = Objects.requireNonNull(source, "source");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timeout = timeout;
        this.renewer = background ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ci-jwt-vault-token");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /** A clock that only moves forward at the pace of {@link System#nanoTime()}: a wall clock that jumps cannot expire a token. */
    public static InstantSource monotonic() {
        Instant base = Instant.now();
        long started = System.nanoTime();
        return () -> base.plusNanos(System.nanoTime() - started);
    }

    /**
     * Makes one call with the token. When Vault refuses it (403) after it had accepted it before, it
     * may have been revoked or have expired early: a login replaces it and the call is made once more.
     * A refusal of a token Vault never accepted is Vault's answer as it is (its policy says no).
     */
    public VaultAnswer call(VaultRequest request, Deadline deadline) throws CiJwtException, VaultFailure {
        String used = token(deadline);
        VaultAnswer answer = client.send(request, used, deadline);
        if (answer.status() == 403 && !deadline.passed() && refused(used)) {
            used = token(deadline);
            answer = client.send(request, used, deadline);
        }
        if (answer.ok()) {
            accepted(used);
        }
        return answer;
    }

    private synchronized void accepted(String used) {
        if (used.equals(token)) {
            served = true;
        }
    }

    /** A token to use now: logs in, re-reads the token file, renews or logs in again first when that is due. */
    public synchronized String token(Deadline deadline) throws CiJwtException, VaultFailure {
        Instant now = clock.instant();
        if (token != null && source instanceof Given g && g.file().isPresent()
                && !stamp(g.file().get()).equals(tokenFileStamp)) {
            // A Vault Agent wrote a new token into the sink file.
            token = null;
        }
        if (token != null && !now.isBefore(expiresAt) && source instanceof Login) {
            token = null;
        }
        if (token == null) {
            acquire(deadline);
        } else if (!now.isBefore(renewAt)) {
            try {
                refresh(deadline);
            } catch (CiJwtException | VaultFailure e) {
                if (token == null || !clock.instant().isBefore(expiresAt)) {
                    throw e;
                }
                // The token still lives: use it, and try again soon (Vault may be slow for a moment).
                LOG.warn("{}; the current token is used meanwhile", message(e));
                renewAt = clock.instant().plus(RETRY);
            }
        }
        return token;
    }

    /**
     * Vault refused {@code used} (403). A token Vault had accepted before is dropped, so the next
     * call logs in again, when the source can log in.
     *
     * @return whether a new token is worth a second try
     */
    public synchronized boolean refused(String used) {
        if (!(source instanceof Login) || used == null || !used.equals(token) || !served) {
            return false;
        }
        LOG.info("Vault at {} refused the token from {}; logging in again", client.address(), source.describe());
        token = null;
        return true;
    }

    /** Revokes the token ({@code revoke-self}), for when its holder is done; it expires by itself anyway. */
    public void revoke(Deadline deadline) throws VaultFailure {
        String used;
        synchronized (this) {
            used = token;
            token = null;
        }
        if (used == null) {
            return;
        }
        VaultAnswer answer = client.send(post("auth/token/revoke-self", null, "revoking the token from "
                + source.describe()), used, deadline);
        if (!answer.ok()) {
            throw new VaultFailure.Refused(client.address(), "revoking the token from " + source.describe(),
                    answer.status(), answer.errors());
        }
    }

    /** Renewals so far, for tests. */
    public synchronized long renewals() {
        return renewals;
    }

    /** Logins so far, for tests. */
    public synchronized long logins() {
        return logins;
    }

    private void acquire(Deadline deadline) throws CiJwtException, VaultFailure {
        if (source instanceof Given g) {
            if (g.file().isPresent()) {
                tokenFileStamp = stamp(g.file().get());
                token = readFile(g.file().get(), "Vault token file", true);
            } else {
                token = g.value().orElseThrow();
            }
            served = false;
            lease = Duration.ZERO;
            renewAt = Instant.MAX;
            expiresAt = Instant.MAX;
            loginNext = false;
            // Learn the lease off the caller's path: a one-shot mint should not pay a round trip for it.
            schedule(Duration.ZERO);
        } else if (source instanceof Login l) {
            login(l, deadline);
        }
    }

    private void login(Login l, Deadline deadline) throws CiJwtException, VaultFailure {
        ObjectNode body = l.credentials().body();
        Instant now = clock.instant();
        VaultRequest request = post(l.path(), body, l.describe());
        VaultAnswer a = client.send(l.attemptTimeout().map(request::eachWithin).orElse(request), null, deadline);
        String issued = a.json().path("auth").path("client_token").asText("");
        if (!a.ok() || issued.isEmpty()) {
            throw new VaultFailure.Refused(client.address(), "the " + l.describe(), a.status(),
                    redact(a.errors(), body));
        }
        token = issued;
        served = false;
        logins++;
        lease(a.json().path("auth"), now);
        if (!l.renew()) {
            loginNext = true;
        }
        LOG.info("Vault at {}: {} gave a token (lease {}, {})", client.address(), l.describe(),
                VaultFailure.seconds(lease), loginNext ? "logging in again when due" : "renewable");
    }

    /** Renews, or logs in again when renewing cannot extend the token any more. */
    private void refresh(Deadline deadline) throws CiJwtException, VaultFailure {
        if (loginNext && source instanceof Login l) {
            login(l, deadline);
            return;
        }
        if (lease.isZero()) {
            // A token given by the operator whose lease is not known yet: the daemon looks it up.
            renewAt = Instant.MAX;
            schedule(Duration.ZERO);
            return;
        }
        ObjectNode body = JSON.createObjectNode().put("increment", lease.toSeconds() + "s");
        Instant now = clock.instant();
        String what = "renewing the token from " + source.describe();
        VaultAnswer a = client.send(post("auth/token/renew-self", body, what), token, deadline);
        if (!a.ok()) {
            if (source instanceof Login l) {
                loginNext = true;
                login(l, deadline);
                return;
            }
            renewAt = Instant.MAX;
            throw new VaultFailure.Refused(client.address(), what, a.status(), a.errors());
        }
        renewals++;
        Duration asked = lease;
        lease(a.json().path("auth"), now);
        if (lease.compareTo(asked) < 0 && source instanceof Login) {
            // Vault capped the lease: the token is near its max TTL, so log in again at the next refresh.
            loginNext = true;
        }
        LOG.debug("Vault at {}: renewed the token from {} (lease {})", client.address(), source.describe(),
                VaultFailure.seconds(lease));
    }

    private void lookUp(Deadline deadline) throws VaultFailure {
        String what = "looking up the token from " + source.describe();
        Instant now = clock.instant();
        VaultAnswer a = client.send(VaultRequest.get("auth/token/lookup-self", what), token, deadline);
        renewAt = Instant.MAX;
        if (!a.ok()) {
            // A policy without lookup-self: the token is used as it is, and a refusal names the reason.
            LOG.info("Vault at {}: cannot look up the token from {} ({}); it will not be renewed", client.address(),
                    source.describe(), a.statusAndErrors());
            return;
        }
        JsonNode data = a.json().path("data");
        long ttl = data.path("ttl").asLong(0);
        if (ttl <= 0) {
            return;
        }
        lease = Duration.ofSeconds(ttl);
        expiresAt = now.plus(lease);
        loginNext = !data.path("renewable").asBoolean(false);
        renewAt = loginNext ? Instant.MAX : now.plus(twoThirds(lease));
        if (loginNext) {
            LOG.warn("Vault at {}: the token from {} is not renewable and expires in {}", client.address(),
                    source.describe(), VaultFailure.seconds(lease));
        } else {
            schedule(twoThirds(lease));
        }
    }

    /** Reads a login's or a renewal's {@code auth}: the lease, when it is due, whether it renews. */
    private void lease(JsonNode auth, Instant now) {
        long seconds = auth.path("lease_duration").asLong(0);
        if (seconds <= 0 && source instanceof Login && !lease.isZero()) {
            // A renewal that gave nothing: the token is at its max TTL; log in again now.
            loginNext = true;
            renewAt = now;
            return;
        }
        if (seconds <= 0) {
            lease = Duration.ZERO;
            renewAt = Instant.MAX;
            expiresAt = Instant.MAX;
            loginNext = false;
            return;
        }
        lease = Duration.ofSeconds(seconds);
        expiresAt = now.plus(lease);
        renewAt = now.plus(twoThirds(lease));
        loginNext = !auth.path("renewable").asBoolean(false);
        schedule(twoThirds(lease));
    }

    private static Duration twoThirds(Duration lease) {
        return lease.multipliedBy(2).dividedBy(3);
    }

    private void schedule(Duration in) {
        if (renewer == null || renewer.isShutdown()) {
            return;
        }
        if (scheduled != null) {
            scheduled.cancel(false);
        }
        scheduled = renewer.schedule(this::background, in.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The daemon's task: renew, log in or look up, as due; a failure is logged once and retried soon. */
    private synchronized void background() {
        if (token == null) {
            return;
        }
        try {
            Instant now = clock.instant();
            if (lease.isZero() && source instanceof Given) {
                lookUp(Deadline.after(timeout));
            } else if (!now.isBefore(renewAt)) {
                refresh(Deadline.after(timeout));
            } else {
                schedule(Duration.between(now, renewAt));
                return;
            }
            lastBackgroundError = null;
        } catch (CiJwtException | VaultFailure e) {
            String message = message(e);
            if (lease.isZero()) {
                // Only learning the lease failed; a call that needs Vault reports the outage itself.
                LOG.debug("{}; retrying in {}", message, VaultFailure.seconds(RETRY));
            } else if (!message.equals(lastBackgroundError)) {
                LOG.warn("{}; retrying in {}", message, VaultFailure.seconds(RETRY));
                lastBackgroundError = message;
            }
            renewAt = clock.instant().plus(RETRY);
            schedule(RETRY);
        }
    }

    private static String message(Exception e) {
        return e instanceof CiJwtException c ? c.userMessage() : e.getMessage();
    }

    private static VaultRequest post(String path, ObjectNode body, String what) {
        return VaultRequest.post(path, body, what);
    }

    /** Vault's errors with every credential the login sent blanked out, in case Vault quotes one back. */
    private static String redact(String errors, ObjectNode body) {
        String out = errors;
        List<String> secrets = new ArrayList<>();
        for (String field : CREDENTIAL_FIELDS) {
            String value = body.path(field).asText("");
            if (value.length() >= 8) {
                secrets.add(value);
            }
        }
        for (String secret : secrets) {
            out = out.replace(secret, "<redacted>");
        }
        return out;
    }

    private static String stamp(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis() + "|" + Files.size(file);
        } catch (IOException e) {
            return "missing";
        }
    }

    /**
     * Reads a short token, secret id, role id or JWT file, trimmed; a {@code secret} file must be
     * private (0600), as every file of a credential ci-jwt reads.
     */
    public static String readFile(Path file, String what, boolean secret) throws CiJwtException {
        try {
            if (secret) {
                SecureFiles.requirePrivatePermissions(file, what);
            }
            String text = Files.readString(file).strip();
            if (text.isEmpty()) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, what + " " + file + " is empty");
            }
            return text;
        } catch (NoSuchFileException e) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, what + " " + file + " does not exist");
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, what + " " + file + " cannot be read: " + SecureFiles.reason(e));
        }
    }

    /** Stops the daemon; the token is left as it is (see {@link #revoke}). */
    @Override
    public void close() {
        if (renewer != null) {
            renewer.shutdownNow();
        }
    }
}
