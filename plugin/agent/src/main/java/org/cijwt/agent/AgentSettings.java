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
 * @param warmUp create/delete pairs run through a throw-away agent before the socket serves (0: none)
 * @param tokenClient the static {@code ci-jwt-runtime} binary put, read-only, beside the token socket of
 *     each container whose profile sets {@code on_request}; null for none
 */
public record AgentSettings(AgentConfig config, Path socket, Path stateDir, KeySource keys, ConfigVerifier verifier,
                            IdentitySource identity, int warmUp, Path tokenClient) {
    /** The socket when none is set. */
    public static final String DEFAULT_SOCKET = "/run/ci-jwt/agent.sock";
    /** The state directory when none is set. */
    public static final String DEFAULT_STATE_DIR = "/run/ci-jwt/agent";

    /** The warm-up of the command line when none is set. */
    public static final int DEFAULT_WARM_UP = 300;

    /** Settings without a warm-up, for a worker that embeds the agent (and for tests). */
    public AgentSettings(AgentConfig config, Path socket, Path stateDir, KeySource keys, ConfigVerifier verifier,
                         IdentitySource identity) {
        this(config, socket, stateDir, keys, verifier, identity, 0, null);
    }

    /** Settings with a warm-up and no token client. */
    public AgentSettings(AgentConfig config, Path socket, Path stateDir, KeySource keys, ConfigVerifier verifier,
                         IdentitySource identity, int warmUp) {
        this(config, socket, stateDir, keys, verifier, identity, warmUp, null);
    }

    public AgentSettings {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(identity, "identity");
        if (warmUp < 0) {
            throw new IllegalArgumentException("warmUp must be 0 or more");
        }
    }
}
