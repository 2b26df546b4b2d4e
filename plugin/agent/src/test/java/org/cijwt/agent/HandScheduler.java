package org.cijwt.agent;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.cijwt.delivery.RefreshScheduler;
import org.cijwt.fixtures.MutableClock;

/**
 * Runs what is due when the test says so (the agent's refreshes and its 10 s checks): by the test's
 * wall clock, or, as a real scheduler does, by a monotonic clock of the test's.
 */
final class HandScheduler implements RefreshScheduler {
    private final LongSupplier nanos;
    private final List<Task> tasks = new ArrayList<>();

    private static final class Task implements Scheduled {
        final long due;
        final Runnable body;
        volatile boolean cancelled;

        Task(long due, Runnable body) {
            this.due = due;
            this.body = body;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    /** Due by the wall clock {@code clock}. */
    HandScheduler(MutableClock clock) {
        this(() -> {
            Instant now = clock.instant();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        });
    }

    /** Due by the monotonic clock {@code nanos}. */
    HandScheduler(LongSupplier nanos) {
        this.nanos = nanos;
    }

    @Override
    public synchronized Scheduled schedule(Runnable task, Duration delay) {
        Task t = new Task(nanos.getAsLong() + delay.toNanos(), task);
        tasks.add(t);
        return t;
    }

    /** Runs every task due by the clock now, once; what they schedule for now runs at the next call. */
    void runDue() {
        List<Task> due;
        synchronized (this) {
            long now = nanos.getAsLong();
            due = tasks.stream().filter(t -> t.due <= now).toList();
            tasks.removeAll(due);
        }
        due.stream().filter(t -> !t.cancelled).forEach(t -> t.body.run());
    }

    @Override
    public void close() {
        // Nothing runs on its own.
    }
}
