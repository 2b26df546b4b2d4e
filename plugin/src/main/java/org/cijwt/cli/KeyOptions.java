package org.cijwt.cli;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.EmbeddedKeyStore;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.RotationPolicy;
import picocli.CommandLine.Option;

/** The key-ring options every verb that signs or publishes shares. */
public final class KeyOptions {
    @Option(names = "--keys", paramLabel = "PATH",
            description = "Key state directory (embedded store, default ./.ci-jwt/keys), a PEM file, a JWKS file, or 'ephemeral'."
                    + " Without it, $" + KeySources.ENV_KEY_FILE + " or $" + KeySources.ENV_KEY + " (PEM or base64) are used if set.")
    String keys;

    @Option(names = "--key-id", paramLabel = "KID", description = "With a JWKS file: the id of the key that signs.")
    String keyId;

    @Option(names = "--verify-keys", paramLabel = "FILE",
            description = "Public keys (PEM or JWKS) to publish and accept but never sign with; repeatable.")
    List<Path> verifyKeys = new ArrayList<>();

    @Option(names = "--rotation-period", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Embedded store: how long a key signs before the next takes over; 0 turns rotation off (default: ${DEFAULT-VALUE}).",
            defaultValue = "7d")
    Duration rotationPeriod;

    @Option(names = "--rotation-grace", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Embedded store: how long the next key is published before it signs; at least the longest token lifetime (default: ${DEFAULT-VALUE}).",
            defaultValue = "24h")
    Duration rotationGrace;

    public KeySource source() throws CiJwtException {
        return source(EmbeddedKeyStore.DEFAULT_ALGORITHMS);
    }

    /**
     * The key source, generating (embedded store, ephemeral) only the algorithms a command signs
     * with: an RSA key costs a second or more to make, which a one-token command should not pay.
     */
    public KeySource source(Set<SigningAlgorithm> algorithms) throws CiJwtException {
        RotationPolicy rotation = RotationPolicy.of(rotationPeriod, rotationGrace, RotationPolicy.DEFAULT_MAX_TOKEN_TTL);
        return KeySources.resolve(keys, new KeySources.Options(keyId, verifyKeys, rotation, Clock.systemUTC(),
                algorithms, System.getenv()));
    }
}
