package org.cijwt.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.cijwt.fixtures.MutableClock;

/** A {@link RefreshScheduler} driven by a {@link MutableClock}: tasks run when the test moves time past them. */
final class ManualScheduler implements RefreshScheduler {

    private final MutableClock clock;
    private final List<Task> tasks = new ArrayList<>();
    private boolean closed;

    private static final class Task implements Scheduled {
        final Instant due;
        final Runnable body;
        boolean cancelled;

        Task(Instant due, Runnable body) {
            this.due = due;
            this.body = body;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    ManualScheduler(MutableClock clock) {
        this.clock = clock;
    }

    @Override
    public Scheduled schedule(Runnable task, Duration delay) {
        if (closed) {
            throw new IllegalStateException("scheduler closed");
        }
        Task t = new Task(clock.instant().plus(delay.isNegative() ? Duration.ZERO : delay), task);
        tasks.add(t);
        return t;
    }

    /** Moves the clock forward and runs every task that has come due, earliest first. */
    void advance(Duration by) {
        clock.advance(by);
        runDue();
    }

    /** Moves the clock to {@code instant} and runs what has come due. */
    void advanceTo(Instant instant) {
        clock.set(instant);
        runDue();
    }

    void runDue() {
        while (true) {
            Optional<Task> next = tasks.stream()
                    .filter(t -> !t.cancelled && !t.due.isAfter(clock.instant()))
                    .min(Comparator.comparing(t -> t.due));
            if (next.isEmpty()) {
                return;
            }
            tasks.remove(next.get());
            next.get().body.run();
        }
    }

    /** Tasks that are scheduled and not cancelled. */
    long pending() {
        return tasks.stream().filter(t -> !t.cancelled).count();
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
    }
}
