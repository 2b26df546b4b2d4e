package org.cijwt.agent;

import java.nio.file.Path;
import java.util.Objects;
import org.cijwt.keys.KeySource;
import org.cijwt.signedconfig.ConfigVerifier;

/**
 * Everything a worker agent process needs, parsed and validated: the command line (or an embedding
 * worker) builds it from flags and files, {@link Agent#run(AgentSettings)} wires the process from it.
 *
 * @param config the token profiles and issuer
 * @param socket the Unix socket the API is served on
 * @param stateDir the agent's records and token directories
 * @param keys where the signing keys come from
 * @param verifier the signed-config check, or null when no author keys are pinned
 * @param identity where the agent learns which build a container belongs to
 */
public record AgentSettings(AgentConfig config, Path socket, Path stateDir, KeySource keys, ConfigVerifier verifier,
                            IdentitySource identity) {
    /** The socket when none is set. */
    public static final String DEFAULT_SOCKET = "/run/ci-jwt/agent.sock";
    /** The state directory when none is set. */
    public static final String DEFAULT_STATE_DIR = "/run/ci-jwt/agent";

    public AgentSettings {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(identity, "identity");
    }
}
