package org.cijwt.delivery;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task after a delay; the seam that lets {@link TokenRefresher} be tested with a clock moved by
 * hand instead of waiting for minutes.
 */
public interface RefreshScheduler extends AutoCloseable {

    /** A scheduled task that can be called off. */
    interface Scheduled {
        void cancel();
    }

    /** Runs {@code task} once, {@code delay} from now (at once when the delay is zero or negative). */
    Scheduled schedule(Runnable task, Duration delay);

    /** Stops running tasks; a task already running finishes. */
    @Override
    void close();

    /** A scheduler on one daemon thread, so a forgotten refresher never keeps a JVM alive. */
    static RefreshScheduler daemonThread() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "ci-jwt-token-refresher");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return new ExecutorScheduler(executor);
    }

    /**
     * A view of {@code shared} whose {@code close()} does nothing: for the many refreshers of a worker
     * agent, which all run on the agent's one scheduler and must not stop it when one container ends.
     */
    static RefreshScheduler sharing(RefreshScheduler shared) {
        return new RefreshScheduler() {
            @Override
            public Scheduled schedule(Runnable task, Duration delay) {
                return shared.schedule(task, delay);
            }

            @Override
            public void close() {
                // The shared scheduler belongs to its creator, who closes it once.
            }
        };
    }

    /** {@link RefreshScheduler} over a {@link ScheduledExecutorService}. */
    final class ExecutorScheduler implements RefreshScheduler {
        private final ScheduledExecutorService executor;

        ExecutorScheduler(ScheduledExecutorService executor) {
            this.executor = executor;
        }

        @Override
        public Scheduled schedule(Runnable task, Duration delay) {
            long nanos = Math.max(0, delay.toNanos());
            ScheduledFuture<?> future = executor.schedule(task, nanos, TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        }

        @Override
        public void close() {
            // Not shutdownNow: an interrupt could cut a token write short (harmless, but pointless).
            executor.shutdown();
        }
    }
}
