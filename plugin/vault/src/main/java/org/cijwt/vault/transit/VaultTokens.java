package org.cijwt.vault.transit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signer's Vault token: got by the settings' {@link TransitAuth}, renewed ({@code renew-self})
 * when two thirds of its lease have passed, and replaced by a new login when it cannot be renewed
 * any more or Vault refuses it. A daemon thread does the renewing, so an idle signer keeps a live
 * token; a caller that finds the renewal overdue does it itself. The token is never logged.
 */
final class VaultTokens implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VaultTokens.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Lets a failed background renewal retry soon without hammering Vault. */
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final TransitAuth auth;
    private final TransitHttp http;
    private final Duration timeout;
    private final ScheduledExecutorService renewer;

    private String token;
    /** Monotonic nanos; Long.MAX_VALUE when the token does not expire or its lease is unknown. */
    private long renewAt = Long.MAX_VALUE;
    private long expiresAt = Long.MAX_VALUE;
    /** When the next refresh should log in again rather than renew (not renewable, or near its max TTL). */
    private boolean loginNext;
    private Duration lease = Duration.ZERO;
    private String tokenFileStamp;
    private ScheduledFuture<?> scheduled;
    private String lastBackgroundError;
    private long renewals;
    private long logins;

    VaultTokens(TransitAuth auth, TransitHttp http, Duration timeout) {
        this.auth = Objects.requireNonNull(auth, "auth");
        this.http = http;
        this.timeout = timeout;
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ci-jwt-vault-token");
            t.setDaemon(true);
            return t;
        });
    }

    /** A token to use now: logs in, re-reads the token file or renews first when that is due. */
    synchronized String token(Deadline deadline) throws CiJwtException {
        if (token != null && auth instanceof TransitAuth.Token t && t.file().isPresent()
                && !stamp(t.file().get()).equals(tokenFileStamp)) {
            // A Vault Agent wrote a new token into the sink file.
            token = null;
        }
        if (token == null) {
            acquire(deadline);
        } else if (System.nanoTime() - renewAt >= 0) {
            try {
                refresh(deadline);
            } catch (CiJwtException e) {
                if (token == null || System.nanoTime() - expiresAt >= 0) {
                    throw e;
                }
                // The token still lives: use it, and try again soon (Vault may be slow for a moment).
                LOG.warn("{}; the current token is used meanwhile", e.userMessage());
                renewAt = System.nanoTime() + RETRY.toNanos();
            }
        }
        return token;
    }

    /** Vault refused {@code used} (403): the next call logs in again, if the method can. */
    synchronized void refused(String used) {
        if (auth.canLogIn() && used != null && used.equals(token)) {
            LOG.info("Vault at {} refused the token from {}; logging in again", http.address(), auth.describe());
            token = null;
        }
    }

    /** Renewals and logins so far, for tests. */
    synchronized long renewals() {
        return renewals;
    }

    synchronized long logins() {
        return logins;
    }

    private void acquire(Deadline deadline) throws CiJwtException {
        if (auth instanceof TransitAuth.Token t) {
            if (t.file().isPresent()) {
                tokenFileStamp = stamp(t.file().get());
                token = TransitSettings.readSmallFile(t.file().get(), "Vault token file", true);
            } else {
                token = t.value().orElseThrow();
            }
            lease = Duration.ZERO;
            renewAt = Long.MAX_VALUE;
            expiresAt = Long.MAX_VALUE;
            loginNext = false;
            // Learn the lease off the caller's path: a one-shot mint should not pay a round trip for it.
            schedule(Duration.ZERO);
        } else if (auth instanceof TransitAuth.AppRole a) {
            ObjectNode body = JSON.createObjectNode().put("role_id", a.roleId())
                    .put("secret_id", TransitSettings.readSmallFile(a.secretIdFile(), "AppRole secret_id_file", true));
            login("auth/" + a.mount() + "/login", body, deadline);
        } else if (auth instanceof TransitAuth.Cert c) {
            ObjectNode body = JSON.createObjectNode();
            c.role().ifPresent(r -> body.put("name", r));
            login("auth/" + c.mount() + "/login", body, deadline);
        } else if (auth instanceof TransitAuth.JwtLogin j) {
            ObjectNode body = JSON.createObjectNode().put("role", j.role())
                    .put("jwt", TransitSettings.readSmallFile(j.jwtFile(), j.method() + " jwt_file", false));
            login("auth/" + j.mount() + "/login", body, deadline);
        }
    }

    private void login(String path, ObjectNode body, Deadline deadline) throws CiJwtException {
        TransitHttp.Answer a = http.call("POST", path, null, body, deadline, auth.describe());
        String issued = a.json().path("auth").path("client_token").asText("");
        if (!a.ok() || issued.isEmpty()) {
            throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "Vault at " + http.address() + " refused the "
                    + auth.describe() + ": " + a.reason());
        }
        token = issued;
        logins++;
        lease(a.json().path("auth"));
        LOG.info("Vault at {}: {} gave a token (lease {}, {})", http.address(), auth.describe(),
                TransitHttp.seconds(lease), loginNext ? "not renewable" : "renewable");
    }

    /** Renews, or logs in again when renewing cannot extend the token any more. */
    private void refresh(Deadline deadline) throws CiJwtException {
        if (loginNext && auth.canLogIn()) {
            acquire(deadline);
            return;
        }
        if (lease.isZero()) {
            // A token given by the operator whose lease is not known yet: the daemon looks it up.
            renewAt = Long.MAX_VALUE;
            schedule(Duration.ZERO);
            return;
        }
        ObjectNode body = JSON.createObjectNode().put("increment", lease.toSeconds() + "s");
        TransitHttp.Answer a = http.call("POST", "auth/token/renew-self", token, body, deadline,
                "renewing the token from " + auth.describe());
        if (!a.ok()) {
            if (auth.canLogIn()) {
                loginNext = true;
                acquire(deadline);
                return;
            }
            renewAt = Long.MAX_VALUE;
            throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "Vault at " + http.address()
                    + " did not renew the token from " + auth.describe() + ": " + a.reason());
        }
        renewals++;
        Duration asked = lease;
        lease(a.json().path("auth"));
        if (lease.compareTo(asked) < 0 && auth.canLogIn()) {
            // Vault capped the lease: the token is near its max TTL, so log in again at the next refresh.
            loginNext = true;
        }
        LOG.debug("Vault at {}: renewed the token from {} (lease {})", http.address(), auth.describe(),
                TransitHttp.seconds(lease));
    }

    private void lookUp(Deadline deadline) throws CiJwtException {
        TransitHttp.Answer a = http.call("GET", "auth/token/lookup-self", token, null, deadline,
                "looking up the token from " + auth.describe());
        renewAt = Long.MAX_VALUE;
        if (!a.ok()) {
            // A policy without lookup-self: the token is used as it is, and a refusal names the reason.
            LOG.info("Vault at {}: cannot look up the token from {} ({}); it will not be renewed", http.address(),
                    auth.describe(), a.reason());
            return;
        }
        JsonNode data = a.json().path("data");
        long ttl = data.path("ttl").asLong(0);
        if (ttl <= 0) {
            return;
        }
        lease = Duration.ofSeconds(ttl);
        long now = System.nanoTime();
        expiresAt = now + lease.toNanos();
        loginNext = !data.path("renewable").asBoolean(false);
        renewAt = loginNext ? Long.MAX_VALUE : now + lease.multipliedBy(2).dividedBy(3).toNanos();
        if (loginNext) {
            LOG.warn("Vault at {}: the token from {} is not renewable and expires in {}", http.address(),
                    auth.describe(), TransitHttp.seconds(lease));
        }
        schedule(Duration.ofNanos(Math.max(0, renewAt - now)));
    }

    private void lease(JsonNode auth) {
        long seconds = auth.path("lease_duration").asLong(0);
        long now = System.nanoTime();
        if (seconds <= 0 && this.auth.canLogIn() && !lease.isZero()) {
            // A renewal that gave nothing: the token is at its max TTL; log in again now.
            loginNext = true;
            renewAt = now;
            return;
        }
        if (seconds <= 0) {
            lease = Duration.ZERO;
            renewAt = Long.MAX_VALUE;
            expiresAt = Long.MAX_VALUE;
            loginNext = false;
            return;
        }
        lease = Duration.ofSeconds(seconds);
        expiresAt = now + lease.toNanos();
        renewAt = now + lease.multipliedBy(2).dividedBy(3).toNanos();
        loginNext = !auth.path("renewable").asBoolean(false);
        schedule(lease.multipliedBy(2).dividedBy(3));
    }

    private void schedule(Duration in) {
        if (scheduled != null) {
            scheduled.cancel(false);
        }
        if (renewer.isShutdown()) {
            return;
        }
        scheduled = renewer.schedule(this::background, in.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The daemon's task: renew, log in or look up, as due; a failure is logged once and retried soon. */
    private synchronized void background() {
        if (token == null) {
            return;
        }
        try {
            if (lease.isZero() && auth instanceof TransitAuth.Token) {
                lookUp(Deadline.after(timeout));
            } else if (System.nanoTime() - renewAt >= 0) {
                refresh(Deadline.after(timeout));
            } else {
                schedule(Duration.ofNanos(renewAt - System.nanoTime()));
                return;
            }
            lastBackgroundError = null;
        } catch (CiJwtException e) {
            if (lease.isZero()) {
                // Only learning the lease failed; a call that needs Vault reports the outage itself.
                LOG.debug("{}; retrying in {}", e.userMessage(), TransitHttp.seconds(RETRY));
            } else if (!e.getMessage().equals(lastBackgroundError)) {
                LOG.warn("{}; retrying in {}", e.userMessage(), TransitHttp.seconds(RETRY));
                lastBackgroundError = e.getMessage();
            }
            renewAt = System.nanoTime() + RETRY.toNanos();
            schedule(RETRY);
        }
    }

    private static String stamp(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis() + "|" + Files.size(file);
        } catch (IOException e) {
            return "missing";
        }
    }

    @Override
    public void close() {
        renewer.shutdownNow();
    }
}
