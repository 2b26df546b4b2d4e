package org.cijwt.agent;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.cijwt.concourse.ConcourseClient;
import org.cijwt.concourse.Identity;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.Printable;

/**
 * The build is what Concourse says it is: the container handle (runc's id) is looked up in the
 * Concourse API, as the configured user (a viewer of each team), and nothing the container or its
 * author wrote is read. Only the step types the operator names get a token (task steps by
 * default). A handle Concourse does not know is refused; so is every container while Concourse
 * does not answer, unless the operator chose fail-open, where such a container starts without one.
 */
public final class ConcourseIdentity implements IdentitySource {
    /** The source's name in settings. */
    public static final String NAME = "concourse";
    /** The step types that get a token unless the operator names others. */
    public static final Set<String> DEFAULT_STEP_TYPES = Set.of("task");

    private final ConcourseClient client;
    private final Set<String> stepTypes;
    private final boolean failOpen;

    /**
     * @param client a client logged in to Concourse
     * @param stepTypes the step types that get a token ({@code task}, {@code get}, {@code put}, {@code check})
     * @param failOpen whether a container starts without a token while Concourse does not answer
     */
    public ConcourseIdentity(ConcourseClient client, Set<String> stepTypes, boolean failOpen) {
        this.client = Objects.requireNonNull(client, "client");
        this.stepTypes = Set.copyOf(stepTypes);
        this.failOpen = failOpen;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Identity identify(ContainerService.CreateRequest request) throws CiJwtException {
        org.cijwt.concourse.Identity found;
        try {
            found = client.identify(request.id());
        } catch (CiJwtException e) {
            if (failOpen && e.code() == org.cijwt.errors.ErrorCode.CONCOURSE_UNAVAILABLE) {
                return new NotManaged("Concourse did not answer (" + e.getMessage() + "); concourse_fail_open: no token");
            }
            throw e;
        }
        if (found instanceof org.cijwt.concourse.Identity.NotFound notFound) {
            throw notFound.toException();
        }
        if (found instanceof org.cijwt.concourse.Identity.NoBuild noBuild) {
            return new NotManaged("Concourse has container " + noBuild.handle() + " in team " + Printable.of(noBuild.team())
                    + " for no build (" + Printable.of(noBuild.stepType()) + ")");
        }
        org.cijwt.concourse.Identity.Found build = (org.cijwt.concourse.Identity.Found) found;
        if (build.oneOff()) {
            // No pipeline and no job: no sub scope from pipeline on can be made, and a token without
            // those claims is one no pipeline's role may take. Such a build gets none, and runs.
            return new NotManaged("a one-off build (fly execute) of team " + Printable.of(build.metadata().team())
                    + ": it has no pipeline, so it gets no token");
        }
        String type = build.metadata().stepType();
        if (type == null || !stepTypes.contains(type)) {
            return new NotManaged("a " + Printable.of(String.valueOf(type)) + " container; the operator gives tokens to "
                    + String.join(", ", new TreeSet<>(stepTypes)) + " steps (concourse_step_types)");
        }
        return new Build(build.metadata().toJson());
    }

    /** Concourse says the build succeeded, failed, errored or was aborted. */
    @Override
    public boolean buildEnded(org.cijwt.claims.BuildMetadata build) throws CiJwtException {
        return client.buildStatus(build.buildId()).map(org.cijwt.concourse.BuildStatus::finished).orElse(false);
    }
}
