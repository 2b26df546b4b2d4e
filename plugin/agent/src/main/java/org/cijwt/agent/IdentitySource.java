package org.cijwt.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.Optional;
import org.cijwt.delivery.OciSpec;
import org.cijwt.errors.CiJwtException;

/**
 * Where the agent learns which build a new container belongs to. The operator chooses one per
 * agent ({@code identity_source}); delivery never looks past it, so another source (a Kubernetes
 * one that asks the kubelet about a CRI sandbox) plugs in here without touching delivery.
 *
 * <p>A source decides from what the workload's author cannot write, unless the operator has said
 * the caller is trusted ({@link AnnotationIdentity}).
 */
public interface IdentitySource {

    /** The source's name as the operator writes it: {@code annotation}, {@code concourse}. */
    String name();

    /**
     * The request as this source reads it, before anything else of it is looked at: by default as
     * it came; the annotation source fills in metadata the caller left out from the bundle.
     *
     * @throws CiJwtException when what the source reads is not valid
     */
    default Completed complete(ContainerService.CreateRequest request) throws CiJwtException {
        return new Completed(request, Optional.empty());
    }

    /**
     * A request as {@link #complete} reads it, and the bundle's {@code config.json} when the source
     * read it to do so: delivery patches that same reading rather than reading the file again.
     */
    record Completed(ContainerService.CreateRequest request, Optional<OciSpec> spec) {
        public Completed {
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(spec, "spec");
        }
    }

    /**
     * The build a container belongs to, or that ci-jwt does not manage it.
     *
     * @throws CiJwtException when the container must not start: it claims to be a build the
     *     source does not know, or the source cannot answer and the operator chose fail-closed
     */
    Identity identify(ContainerService.CreateRequest request) throws CiJwtException;

    /**
     * Whether the build has ended, so that its containers' tokens stop being refreshed and their
     * files go. A source that cannot tell (the annotation source) says no; one that cannot ask now
     * throws, and the agent asks again later.
     */
    default boolean buildEnded(org.cijwt.claims.BuildMetadata build) throws CiJwtException {
        return false;
    }

    /** What a source says of a container. */
    sealed interface Identity permits Build, NotManaged {
    }

    /**
     * A build's container: its metadata, keyed as the metadata file is ({@code team},
     * {@code pipeline}, ...), checked again by {@code BuildMetadata} before anything is minted.
     */
    record Build(JsonNode metadata) implements Identity {
        public Build {
            Objects.requireNonNull(metadata, "metadata");
        }
    }

    /** A container ci-jwt leaves alone (no token, nothing patched), and why, for the caller's log. */
    record NotManaged(String reason) implements Identity {
        public NotManaged {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
