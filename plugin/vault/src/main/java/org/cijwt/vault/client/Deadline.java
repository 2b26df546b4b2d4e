package org.cijwt.vault.client;

import java.time.Duration;

/**
 * A point in time by the monotonic clock, by which a call to Vault must have answered; a wall
 * clock that jumps can neither stretch nor cut it.
 *
 * @param nanos the point, in {@link System#nanoTime()}
 * @param span how long it was set for, for messages; null for {@link #none()}
 */
public record Deadline(long nanos, Duration span) {

    /** Far enough away never to come, yet safe from overflow when compared with {@link System#nanoTime()}. */
    private static final long NEVER = Long.MAX_VALUE / 4;

    /** The deadline {@code d} from now. */
    public static Deadline after(Duration d) {
        return new Deadline(System.nanoTime() + d.toNanos(), d);
    }

    /** No deadline: a call is bounded by its attempts and their timeouts instead (the var source's retry_max). */
    public static Deadline none() {
        return new Deadline(System.nanoTime() + NEVER, null);
    }

    /** How long is left, never negative. */
    public Duration left() {
        return Duration.ofNanos(Math.max(0, nanos - System.nanoTime()));
    }

    public boolean passed() {
        return nanos - System.nanoTime() <= 0;
    }

    /** This deadline moved earlier by {@code d}, so work bounded by it reports before a waiter bounded by this one gives up. */
    public Deadline earlierBy(Duration d) {
        return new Deadline(nanos - d.toNanos(), span);
    }

    /** The earlier of the two. */
    public Deadline min(Deadline other) {
        return nanos - other.nanos <= 0 ? this : other;
    }
}
