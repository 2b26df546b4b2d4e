package org.cijwt.delivery;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.cijwt.errors.CiJwtException;
import org.cijwt.io.SecureFiles;
import org.cijwt.tokens.MintedToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a container's token files fresh for long tasks: each token is minted anew and its file
 * replaced atomically at {@value #REFRESH_PERCENT} % of its lifetime, as the kubelet does for projected
 * service-account tokens, until {@link #close()}.
 *
 * <p>Only the files are refreshed; {@code CONCOURSE_CI_JWT} in the environment keeps the first token,
 * so tasks that outlive it must read {@code CONCOURSE_CI_JWT_FILE}.
 */
public final class TokenRefresher implements AutoCloseable {

    /** When a token is replaced, in percent of its lifetime ({@code exp - iat}). */
    public static final int REFRESH_PERCENT = 80;

    /** How long after a failed refresh the next attempt is made; it doubles with each failure in a row. */
    public static final Duration RETRY_DELAY = Duration.ofSeconds(10);

    /** The longest wait between attempts, however often they failed (a Vault outage, say). */
    public static final Duration MAX_RETRY_DELAY = Duration.ofMinutes(2);

    private static final Logger LOG = LoggerFactory.getLogger(TokenRefresher.class);

    /** Mints a fresh token of the given name. */
    @FunctionalInterface
    public interface Minter {
        MintedToken mint(String name) throws CiJwtException;
    }

    /** When a freshly written token is due for replacement. */
    @FunctionalInterface
    public interface Timing {
        Instant refreshAt(MintedToken token);

        /** Exactly {@value #REFRESH_PERCENT} % of the lifetime: one container, nothing to spread. */
        Timing FIXED = TokenRefresher::refreshAt;

        /**
         * Somewhere between {@code percentEarlier} percent of the lifetime before the
         * {@value #REFRESH_PERCENT} % mark and that mark, at random: many containers created together
         * then do not all refresh in the same instant, and none refreshes later than the mark.
         */
        static Timing jittered(int percentEarlier) {
            if (percentEarlier < 0 || percentEarlier >= REFRESH_PERCENT) {
                throw new IllegalArgumentException("jitter must be 0.." + (REFRESH_PERCENT - 1) + " percent");
            }
            return token -> {
                Instant mark = TokenRefresher.refreshAt(token);
                long spreadMillis = Duration.between(token.issuedAt(), token.expiresAt()).toMillis() * percentEarlier / 100;
                long early = spreadMillis <= 0 ? 0 : java.util.concurrent.ThreadLocalRandom.current().nextLong(spreadMillis + 1);
                return mark.minusMillis(early);
            };
        }
    }

    /** Hears about refreshes; it is called on the scheduler's thread and is never given the token text. */
    public interface Listener {
        /** The token file {@code name} now holds {@code token}. */
        void refreshed(String name, MintedToken token);

        /** Refreshing {@code name} failed for {@code reason}; it is tried again in {@code retryIn}. */
        void failed(String name, String reason, Duration retryIn);

        /** A listener that logs through SLF4J. */
        Listener LOGGING = new Listener() {
            @Override
            public void refreshed(String name, MintedToken token) {
                LOG.info("refreshed token {} ({}), expires {}", name, token, token.expiresAt());
            }

            @Override
            public void failed(String name, String reason, Duration retryIn) {
                LOG.warn("refreshing token {} failed: {}; retrying in {}s", name, reason, retryIn.toSeconds());
            }
        };
    }

    private final TokenDirectory directory;
    private final Minter minter;
    private final Clock clock;
    private final RefreshScheduler scheduler;
    private final Listener listener;
    private final Timing timing;
    private final Map<String, MintedToken> current = new LinkedHashMap<>();
    private final Map<String, Instant> due = new HashMap<>();
    private final Map<String, RefreshScheduler.Scheduled> pending = new HashMap<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private boolean started;
    private boolean closed;

    /**
     * A refresher that writes into {@code directory}; it owns {@code scheduler} and closes it with itself.
     *
     * @param clock the time refreshes are planned by; tests pass a clock they move by hand
     */
    public TokenRefresher(TokenDirectory directory, Minter minter, Clock clock, RefreshScheduler scheduler,
                          Listener listener) {
        this(directory, minter, clock, scheduler, listener, Timing.FIXED);
    }

    /**
     * A refresher as above whose refresh times {@code timing} chooses (a worker agent spreads them);
     * a scheduler shared by many refreshers must ignore their {@code close()}.
     */
    public TokenRefresher(TokenDirectory directory, Minter minter, Clock clock, RefreshScheduler scheduler,
                          Listener listener, Timing timing) {
        this.timing = Objects.requireNonNull(timing, "timing");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.minter = Objects.requireNonNull(minter, "minter");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The moment a token is due for replacement: {@value #REFRESH_PERCENT} % of the way from iat to exp. */
    public static Instant refreshAt(MintedToken token) {
        Duration lifetime = Duration.between(token.issuedAt(), token.expiresAt());
        return token.issuedAt().plus(lifetime.multipliedBy(REFRESH_PERCENT).dividedBy(100));
    }

    /**
     * Starts refreshing tokens that are already in their files, each at its own {@link #refreshAt} time.
     *
     * @throws IllegalStateException when started twice or after {@link #close()}
     */
    public synchronized void start(Map<String, MintedToken> written) {
        if (started || closed) {
            throw new IllegalStateException(closed ? "the refresher is closed" : "the refresher is already started");
        }
        started = true;
        written.forEach((name, token) -> {
            TokenDirectory.requireValidName(name);
            current.put(name, token);
            plan(name, timing.refreshAt(token));
        });
    }

    /** The tokens now in the files (their {@code toString} is redacted). */
    public synchronized Map<String, MintedToken> current() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(current));
    }

    /** When the token {@code name} is next replaced; empty when unknown or closed. */
    public synchronized Optional<Instant> nextRefresh(String name) {
        return closed ? Optional.empty() : Optional.ofNullable(due.get(name));
    }

    /** Whether {@link #close()} has been called. */
    public synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Replaces every token now, whatever its planned time: for when the clock the tokens were dated
     * by has stepped, so their {@code iat} and {@code exp} are wrong for everyone else.
     */
    public synchronized void refreshNow() {
        if (closed || !started) {
            return;
        }
        for (String name : List.copyOf(current.keySet())) {
            RefreshScheduler.Scheduled p = pending.remove(name);
            if (p != null) {
                p.cancel();
            }
            plan(name, clock.instant());
        }
    }

    private void plan(String name, Instant when) {
        due.put(name, when);
        pending.put(name, scheduler.schedule(() -> refresh(name), Duration.between(clock.instant(), when)));
    }

    /** Runs on the scheduler; holding the lock means {@link #close()} waits for a write in progress. */
    private synchronized void refresh(String name) {
        pending.remove(name);
        if (closed) {
            return;
        }
        try {
            MintedToken token = minter.mint(name);
            directory.write(name, token.compact());
            current.put(name, token);
            failures.remove(name);
            plan(name, timing.refreshAt(token));
            listener.refreshed(name, token);
        } catch (CiJwtException e) {
            retry(name, e.userMessage());
        } catch (IOException e) {
            retry(name, "cannot write " + directory.file(name) + ": " + SecureFiles.reason(e));
        } catch (RuntimeException e) {
            // A bug or a key source failing in an unforeseen way must not end refreshes for good.
            LOG.error("refreshing token {} failed unexpectedly", name, e);
            retry(name, "internal error (" + e.getClass().getName() + ")");
        }
    }

    /** Backs off: 10 s, 20 s, 40 s ... up to {@link #MAX_RETRY_DELAY}; the token in the file stays until it expires. */
    private void retry(String name, String reason) {
        int failed = failures.merge(name, 1, Integer::sum);
        Duration delay = RETRY_DELAY.multipliedBy(1L << Math.min(failed - 1, 10));
        if (delay.compareTo(MAX_RETRY_DELAY) > 0) {
            delay = MAX_RETRY_DELAY;
        }
        plan(name, clock.instant().plus(delay));
        listener.failed(name, reason, delay);
    }

    /**
     * Stops refreshing, waiting for a write in progress to finish, so no file is left half-replaced.
     * The files stay; removing the directory is the clean-up's job ({@link TokenDelivery#cleanup}).
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            pending.values().forEach(RefreshScheduler.Scheduled::cancel);
            pending.clear();
            due.clear();
        }
        scheduler.close();
    }

    @Override
    public synchronized String toString() {
        return "TokenRefresher[" + directory.path() + ", tokens=" + current.keySet() + (closed ? ", closed" : "") + "]";
    }
}
