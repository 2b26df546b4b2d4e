package org.cijwt.vault.transit;

import java.time.Duration;

/**
 * A point in time by the monotonic clock, by which a call to Vault must have answered; a wall
 * clock that jumps can neither stretch nor cut it.
 */
record Deadline(long nanos) {

    static Deadline after(Duration d) {
        return new Deadline(System.nanoTime() + d.toNanos());
    }

    Duration left() {
        return Duration.ofNanos(Math.max(0, nanos - System.nanoTime()));
    }

    boolean passed() {
        return nanos - System.nanoTime() <= 0;
    }

    /** This deadline moved earlier by {@code d}, so work bounded by it reports before a waiter bounded by this one gives up. */
    Deadline earlierBy(Duration d) {
        return new Deadline(nanos - d.toNanos());
    }

    /** The earlier of the two. */
    Deadline min(Deadline other) {
        return nanos - other.nanos <= 0 ? this : other;
    }
}
