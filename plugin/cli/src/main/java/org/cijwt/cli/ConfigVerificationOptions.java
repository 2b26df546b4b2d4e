package org.cijwt.cli;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cijwt.delivery.TokenProfile;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.signedconfig.ConfigVerifier;
import org.cijwt.signedconfig.PinnedKeys;
import picocli.CommandLine.Option;

/** The signed-config settings of {@code preflight} and {@code agent}: pinned keys and what a failure does. */
public final class ConfigVerificationOptions {
    @Option(names = "--config-verify-keys", paramLabel = "FILE",
            description = "Pinned public keys (JWKS or PEM) that task configs must be signed with; repeatable."
                    + " Without it task configs are not checked.")
    List<Path> keys = new ArrayList<>();

    @Option(names = "--verification-failure-behavior", paramLabel = "block|warn",
            description = "block (default): no token for a task whose config does not verify; warn: deliver it, log and"
                    + " count the failure, and say so in config_verification.")
    String behavior;

    /** The verifier, or null when no keys are pinned (no check, no config claims). */
    public ConfigVerifier verifier(Map<String, ConfigVerifier.Behavior> perTeam) throws CiJwtException {
        if (keys.isEmpty()) {
            if (behavior != null || !perTeam.isEmpty()) {
                throw new CiJwtException(ErrorCode.OPTIONS_CONFLICT,
                        "a verification failure behavior needs --config-verify-keys: without pinned keys nothing verifies");
            }
            return null;
        }
        ConfigVerifier.Behavior b = behavior == null ? ConfigVerifier.Behavior.BLOCK
                : ConfigVerifier.Behavior.parse(behavior, "--verification-failure-behavior");
        Set<String> ours = Set.of(TokenProfile.AWS_TOKEN_FILE_VARIABLE);
        return new ConfigVerifier(PinnedKeys.reloading(keys, Clock.systemUTC()), b, perTeam, ours);
    }
}
