package org.cijwt.vault.transit;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.vault.client.Deadline;
import org.cijwt.vault.client.VaultFailure;

/**
 * Gathers signatures that are asked for at the same time into {@code batch_input} requests, so a
 * burst of mints costs a few round trips rather than one each, in series. Nothing waits to fill a
 * batch: a request goes out at once when fewer than {@code concurrency} requests are in flight, and
 * whatever queues meanwhile goes out together in the next one (at most {@code batch_size}).
 *
 * <p>Every caller waits at most {@code timeout}; a caller that gave up is left out of later batches.
 */
final class SignBatcher implements AutoCloseable {
    private static final Duration REPORT_MARGIN = Duration.ofMillis(150);

    private final TransitClient client;
    private final SigningAlgorithm alg;
    private final Duration timeout;
    private final int batchSize;
    private final int concurrency;
    private final ExecutorService workers;
    private final Deque<Pending> queue = new ArrayDeque<>();
    private int running;

    private record Pending(int version, byte[] input, Deadline deadline, CompletableFuture<byte[]> result) {
    }

    SignBatcher(TransitClient client, SigningAlgorithm alg, TransitSettings settings) {
        this.client = client;
        this.alg = alg;
        this.timeout = settings.timeout();
        this.batchSize = settings.batchSize();
        this.concurrency = settings.concurrency();
        this.workers = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "ci-jwt-transit-sign");
            t.setDaemon(true);
            return t;
        });
    }

    /** Signs {@code input} with {@code version}, waiting at most the timeout. */
    byte[] sign(int version, byte[] input) throws CiJwtException {
        Pending p = new Pending(version, input, Deadline.after(timeout), new CompletableFuture<>());
        boolean start;
        synchronized (this) {
            queue.add(p);
            start = running < concurrency;
            if (start) {
                running++;
            }
        }
        if (start) {
            workers.execute(this::drain);
        }
        try {
            return p.result().get(Math.max(1, p.deadline().left().toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            p.result().cancel(false);
            throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "Vault at " + client.address()
                    + ": signing with transit key " + client.name() + " version " + version
                    + " failed: no signature within the timeout of "
                    + VaultFailure.seconds(timeout));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CiJwtException c) {
                throw c;
            }
            throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "Vault at " + client.address()
                    + ": signing failed: " + e.getCause().getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.result().cancel(false);
            throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "interrupted while signing at Vault " + client.address());
        }
    }

    private void drain() {
        while (true) {
            List<Pending> batch = take();
            if (batch.isEmpty()) {
                return;
            }
            send(batch);
        }
    }

    /** The next batch: queued requests for the first one's version, callers that gave up dropped. */
    private synchronized List<Pending> take() {
        List<Pending> batch = new ArrayList<>();
        Integer version = null;
        for (Iterator<Pending> it = queue.iterator(); it.hasNext() && batch.size() < batchSize; ) {
            Pending p = it.next();
            if (p.result().isDone()) {
                it.remove();
                continue;
            }
            if (version == null) {
                version = p.version();
            }
            if (p.version() == version) {
                batch.add(p);
                it.remove();
            }
        }
        if (batch.isEmpty()) {
            running--;
        }
        return batch;
    }

    private void send(List<Pending> batch) {
        Deadline deadline = batch.get(0).deadline();
        List<byte[]> inputs = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            deadline = deadline.min(p.deadline());
            inputs.add(p.input());
        }
        // Vault's own failure (refused, no answer) then reaches the callers before they stop waiting.
        deadline = deadline.earlierBy(REPORT_MARGIN);
        int version = batch.get(0).version();
        try {
            List<TransitClient.Signed> signed = client.sign(version, alg, inputs, deadline);
            for (int i = 0; i < batch.size(); i++) {
                TransitClient.Signed s = signed.get(i);
                if (s.error() == null) {
                    batch.get(i).result().complete(s.signature());
                } else {
                    batch.get(i).result().completeExceptionally(new CiJwtException(ErrorCode.KEY_SERVICE_FAILED,
                            "Vault at " + client.address() + " did not sign with transit key " + client.name()
                                    + " version " + version
                                    + ": " + s.error()));
                }
            }
        } catch (CiJwtException e) {
            batch.forEach(p -> p.result().completeExceptionally(e));
        } catch (RuntimeException e) {
            batch.forEach(p -> p.result().completeExceptionally(e));
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
