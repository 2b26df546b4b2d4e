package org.cijwt.web;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.Objects;
import org.cijwt.concourse.BuildStatus;
import org.cijwt.concourse.ConcourseClient;
import org.cijwt.errors.CiJwtException;

/**
 * Whether a token's build has finished, as Concourse says (with {@code concourse_url} set). A
 * finished build stays finished (the client keeps final statuses); a running one is asked again
 * after {@link #RUNNING_TTL}, so the end of a build shows within that plus one call. Several
 * {@code serve} instances need no state of their own: Concourse is the source of truth.
 */
final class ConcourseBuilds implements AutoCloseable {
    /** How long "still running" is believed before Concourse is asked again. */
    static final Duration RUNNING_TTL = Duration.ofSeconds(5);
    private static final int MAX_BUILDS = 100_000;

    private final ConcourseClient client;
    private final Cache<String, Boolean> running = Caffeine.newBuilder().expireAfterWrite(RUNNING_TTL)
            .maximumSize(MAX_BUILDS).build();

    ConcourseBuilds(ConcourseClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    /**
     * Whether the build has finished (succeeded, failed, errored, aborted); a build Concourse does not
     * show is not called finished.
     *
     * @throws CiJwtException when Concourse does not answer within its deadline
     */
    boolean finished(String buildId) throws CiJwtException {
        if (running.getIfPresent(buildId) != null) {
            return false;
        }
        boolean done = client.buildStatus(buildId).map(BuildStatus::finished).orElse(false);
        if (!done) {
            running.put(buildId, Boolean.TRUE);
        }
        return done;
    }

    @Override
    public void close() {
        client.close();
    }
}
