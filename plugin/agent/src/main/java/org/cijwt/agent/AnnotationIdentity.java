package org.cijwt.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import org.cijwt.delivery.OciSpec;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * The build is what the caller says it is: the {@code metadata} of the create request, or, when the
 * request leaves it out, the bundle's own OCI annotation {@code org.cijwt.metadata} (and
 * {@code org.cijwt.profile}), which the agent then reads from {@code config.json} itself, as the
 * runtime wrapper's fast path asks (docs/runtime.md). Whoever creates the container writes that
 * annotation, so this source is only for a caller the operator trusts: a worker process calling
 * the socket itself, or a runtime no workload author can pass annotations through. Never where a
 * pod spec's or a {@code docker run}'s author reaches the annotations.
 */
public final class AnnotationIdentity implements IdentitySource {
    /** The source's name in settings. */
    public static final String NAME = "annotation";
    /** The annotation that holds a container's build metadata, a JSON object in a string. */
    public static final String METADATA_ANNOTATION = "org.cijwt.metadata";
    /** The annotation that names a container's token profile. */
    public static final String PROFILE_ANNOTATION = "org.cijwt.profile";

    @Override
    public String name() {
        return NAME;
    }

    /**
     * A request without metadata takes the bundle's annotations: {@code org.cijwt.metadata} as its
     * metadata and, unless the request names one, {@code org.cijwt.profile} as its profile. A bundle
     * without the metadata annotation leaves the request as it is (and {@link #identify} refuses it).
     */
    @Override
    public Completed complete(ContainerService.CreateRequest request) throws CiJwtException {
        if (request.metadata().isPresent()) {
            return new Completed(request, Optional.empty());
        }
        OciSpec spec = OciSpec.read(request.bundle().resolve(OciSpec.CONFIG_FILE));
        JsonNode annotations = spec.json().path("annotations");
        JsonNode metadata = annotations.get(METADATA_ANNOTATION);
        if (metadata == null) {
            return new Completed(request, Optional.of(spec));
        }
        if (!metadata.isTextual()) {
            throw new CiJwtException(ErrorCode.REQUEST_INVALID, "annotation " + METADATA_ANNOTATION + " of container " + request.id()
                    + " is not a string");
        }
        JsonNode parsed;
        try {
            parsed = AgentApi.JSON.readTree(metadata.asText());
        } catch (JsonProcessingException e) {
            // Jackson's message may quote the value: name the place only.
            throw new CiJwtException(ErrorCode.REQUEST_INVALID, "annotation " + METADATA_ANNOTATION + " of container " + request.id()
                    + " is not valid JSON");
        }
        if (parsed == null || !parsed.isObject()) {
            throw new CiJwtException(ErrorCode.REQUEST_INVALID, "annotation " + METADATA_ANNOTATION + " of container " + request.id()
                    + " must be a JSON object of build metadata");
        }
        Optional<String> profile = request.profile();
        JsonNode named = annotations.get(PROFILE_ANNOTATION);
        if (profile.isEmpty() && named != null) {
            if (!named.isTextual() || named.asText().isEmpty()) {
                throw new CiJwtException(ErrorCode.REQUEST_INVALID, "annotation " + PROFILE_ANNOTATION + " of container " + request.id()
                        + " must be a non-empty string");
            }
            profile = Optional.of(named.asText());
        }
        return new Completed(new ContainerService.CreateRequest(request.id(), request.bundle(), Optional.of(parsed), profile),
                Optional.of(spec));
    }

    @Override
    public Identity identify(ContainerService.CreateRequest request) throws CiJwtException {
        if (request.metadata().isEmpty()) {
            throw new CiJwtException(ErrorCode.REQUEST_INVALID, "metadata must be a JSON object of build metadata, in the request or"
                    + " in the bundle's annotation " + METADATA_ANNOTATION
                    + " (the agent's identity source is annotation: the caller says which build a container is)");
        }
        return new Build(request.metadata().get());
    }
}
