package org.cijwt.concourse;

import java.util.Locale;
import java.util.Optional;

/** A build's status as Concourse reports it ({@code GET /api/v1/builds/:id}); the last four are final. */
public enum BuildStatus {
    PENDING(false),
    STARTED(false),
    SUCCEEDED(true),
    FAILED(true),
    ERRORED(true),
    ABORTED(true);

    private final boolean finished;

    BuildStatus(boolean finished) {
        this.finished = finished;
    }

    /** Whether the build has ended: it will not run again, and its tokens need not live on. */
    public boolean finished() {
        return finished;
    }

    /** The word Concourse uses, e.g. {@code succeeded}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The status for Concourse's word, or empty for one this version does not know. */
    static Optional<BuildStatus> of(String word) {
        for (BuildStatus s : values()) {
            if (s.wireName().equals(word)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
