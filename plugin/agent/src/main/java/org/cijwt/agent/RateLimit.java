package org.cijwt.agent;

import java.time.Clock;

/**
 * A token bucket: a burst of {@code perMinute} requests, then {@code perMinute} a minute, refilled
 * continuously. One per container; the clock is injected so tests need not wait.
 */
final class RateLimit {
    private static final double NANOS_PER_MINUTE = 60e9;

    private final Clock clock;
    private final int perMinute;
    private double available;
    private long lastNanos;

    RateLimit(Clock clock, int perMinute) {
        this.clock = clock;
        this.perMinute = perMinute;
        this.available = perMinute;
        this.lastNanos = nanos();
    }

    /** Takes one request's worth, or says no when the bucket is empty. */
    synchronized boolean tryTake() {
        long now = nanos();
        if (now > lastNanos) {
            available = Math.min(perMinute, available + (now - lastNanos) * perMinute / NANOS_PER_MINUTE);
            lastNanos = now;
        }
        if (available >= 1) {
            available -= 1;
            return true;
        }
        return false;
    }

    private long nanos() {
        java.time.Instant t = clock.instant();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
