package org.cijwt.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.cijwt.errors.CiJwtException;

/** What the agent does for containers, behind its socket API: deliver, forget, list. */
public interface ContainerService {

    /** A create request as the socket API receives it, its shape already checked. */
    record CreateRequest(String id, Path bundle, JsonNode metadata, Optional<String> profile) {
    }

    /** One token delivered into a container: never the token itself. */
    record TokenInfo(String name, String kid, String algorithm, Instant expiresAt) {
    }

    /** A container the agent delivered to and keeps refreshed. */
    record Container(String id, Path bundle, String profile, List<TokenInfo> tokens, Optional<Instant> nextRefresh) {
    }

    /** Mints the container's tokens, writes its token directory and patches its bundle. */
    Container create(CreateRequest request) throws CiJwtException;

    /** Reverts and removes exactly what {@link #create} made; false when the id is unknown. */
    boolean delete(String id) throws CiJwtException;

    List<Container> list();

    /** Why the agent cannot deliver now (no signing key, ...), or empty when it can. */
    Optional<String> notReady();
}
