package org.cijwt.concourse;

import java.net.URI;
import java.util.List;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;

/**
 * What Concourse says a container handle is: a build's container, a container of no build, or
 * nothing in any team the user can see. That Concourse did not answer is not an identity: it is a
 * {@code CJ801} error, so that a caller can refuse (fail closed) rather than take it for "unknown".
 */
public sealed interface Identity {

    /** The container's handle, as runc gets it. */
    String handle();

    /**
     * A container of a build, with the claims Concourse gives for it. A one-off build ({@code fly
     * execute}) has no pipeline or job: those claims are absent, and what such a build may get is
     * the caller's decision.
     */
    record Found(String handle, BuildMetadata metadata) implements Identity {

        /** Whether the build is a one-off ({@code fly execute}), with no pipeline or job. */
        public boolean oneOff() {
            return metadata.pipeline() == null && metadata.job() == null;
        }
    }

    /**
     * A container Concourse knows in {@code team} that belongs to no build (a resource check
     * container, where Concourse records none): there are no build claims to give.
     */
    record NoBuild(String handle, String team, String stepType) implements Identity {
    }

    /**
     * No team the user can see has the handle: not a Concourse container, one of a team the user
     * has no role in, or one already gone.
     *
     * @param teamsSearched the teams asked, in the order Concourse listed them; empty when the user sees none
     */
    record NotFound(String handle, URI concourse, String user, List<String> teamsSearched) implements Identity {
        public NotFound {
            teamsSearched = List.copyOf(teamsSearched);
        }

        /** The refusal a caller reports: one line naming Concourse, the user and the teams asked. */
        public CiJwtException toException() {
            String searched = teamsSearched.isEmpty()
                    ? "user '" + Printable.of(user) + "' has a role in no team"
                    : "asked as user '" + Printable.of(user) + "' in team" + (teamsSearched.size() == 1 ? " " : "s ")
                            + String.join(", ", teamsSearched.stream().map(Printable::of).toList());
            return new CiJwtException(ErrorCode.CONTAINER_NOT_IN_CONCOURSE, "Concourse at " + concourse
                    + " has no container " + Printable.of(handle) + " in any team it shows (" + searched
                    + "); a team the user has no viewer role in is not searched");
        }
    }
}
