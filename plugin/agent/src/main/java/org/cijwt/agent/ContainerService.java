package org.cijwt.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.cijwt.errors.CiJwtException;

/** What the agent does for containers, behind its socket API: deliver, forget, list. */
public interface ContainerService {

    /**
     * A create request as the socket API receives it, its shape already checked. Its metadata is
     * what the caller says; only the {@code annotation} identity source takes it.
     */
    record CreateRequest(String id, Path bundle, Optional<JsonNode> metadata, Optional<String> profile) {
    }

    /** What a create did: delivered tokens, or left a container ci-jwt does not manage alone. */
    sealed interface Created permits Delivered, Unmanaged {
        String id();
    }

    /** Tokens delivered into the container, which is now refreshed until it is deleted. */
    record Delivered(Container container) implements Created {
        @Override
        public String id() {
            return container.id();
        }
    }

    /** Nothing done: the identity source says ci-jwt does not manage this container, and why. */
    record Unmanaged(String id, String reason) implements Created {
    }

    /** One token delivered into a container: never the token itself. */
    record TokenInfo(String name, String kid, String algorithm, Instant expiresAt) {
    }

    /** A container the agent delivered to and keeps refreshed. */
    record Container(String id, Path bundle, String profile, List<TokenInfo> tokens, Optional<Instant> nextRefresh) {
    }

    /**
     * Asks the identity source which build the container belongs to, then mints its tokens, writes
     * its token directory and patches its bundle; or does nothing for a container it does not manage.
     */
    Created create(CreateRequest request) throws CiJwtException;

    /** Reverts and removes exactly what {@link #create} made; false when the id is unknown. */
    boolean delete(String id) throws CiJwtException;

    /**
     * {@link #delete}, only if the container's init process has ended (its bundle is gone, or the
     * pid its runtime left there is no running process); else {@code CJ515} and nothing changes. The
     * runtime wrapper sends it before it hands a delete to runc: when containerd deletes, the init
     * has ended and the wrapper need not wait for runc to tell the agent; a container that still
     * runs (runc delete without --force, which runc refuses) never loses its tokens to it.
     */
    boolean deleteIfStopped(String id) throws CiJwtException;

    List<Container> list();

    /** Why the agent cannot deliver now (no signing key, ...), or empty when it can. */
    Optional<String> notReady();
}
