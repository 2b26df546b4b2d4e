package org.cijwt.agent;

import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * The build is what the caller says it is: the {@code metadata} of the create request, which the
 * runtime wrapper reads from the OCI annotation {@code org.cijwt.metadata}. Whoever creates the
 * container writes that annotation, so this source is only for a caller the operator trusts: a
 * worker process calling the socket itself, or a runtime no workload author can pass annotations
 * through. Never where a pod spec's or a {@code docker run}'s author reaches the annotations.
 */
public final class AnnotationIdentity implements IdentitySource {
    /** The source's name in settings. */
    public static final String NAME = "annotation";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Identity identify(ContainerService.CreateRequest request) throws CiJwtException {
        if (request.metadata().isEmpty()) {
            throw new CiJwtException(ErrorCode.REQUEST_INVALID, "metadata must be a JSON object of build metadata"
                    + " (the agent's identity source is annotation: the caller says which build a container is)");
        }
        return new Build(request.metadata().get());
    }
}
