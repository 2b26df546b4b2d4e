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

/**
 * The key-ring options, declared once for every verb that signs or publishes ({@code serve}
 * included, whose settings table takes its texts from the constants here).
 */
public final class KeyOptions {
    /** Texts shared with {@code serve}'s settings table, so that {@code --help} and the README say the same. */
    public static final String KEYS_HELP = "Key state directory (embedded store), a PEM file, a JWKS file or 'ephemeral'."
            + " Without it $" + KeySources.ENV_KEY_FILE + " or $" + KeySources.ENV_KEY + " are used if set.";
    public static final String KEY_ID_HELP = "With a JWKS file: the id of the key that signs.";
    public static final String VERIFY_KEYS_HELP = "Public keys (PEM or JWKS) to publish and accept but never sign with;"
            + " repeatable or comma-separated.";
    public static final String ROTATION_PERIOD_HELP = "Embedded store: how long a key signs before the next takes over;"
            + " 0 turns rotation off.";
    public static final String ROTATION_GRACE_HELP = "Embedded store: how long the next key is published before it signs;"
            + " at least the longest token lifetime.";
    /** Defaults in the duration grammar; {@code KeyOptionsTest} holds them equal to {@link RotationPolicy}'s. */
    public static final String ROTATION_PERIOD_DEFAULT = "7d";
    public static final String ROTATION_GRACE_DEFAULT = "24h";

    @Option(names = "--keys", paramLabel = "PATH", description = KEYS_HELP + " Default: ./.ci-jwt/keys.")
    String keys;

    @Option(names = "--key-id", paramLabel = "KID", description = KEY_ID_HELP)
    String keyId;

    @Option(names = "--verify-keys", paramLabel = "FILE", split = ",", description = VERIFY_KEYS_HELP)
    List<Path> verifyKeys = new ArrayList<>();

    @Option(names = "--rotation-period", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = ROTATION_PERIOD_DEFAULT, description = ROTATION_PERIOD_HELP + " Default: ${DEFAULT-VALUE}.")
    Duration rotationPeriod;

    @Option(names = "--rotation-grace", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = ROTATION_GRACE_DEFAULT, description = ROTATION_GRACE_HELP + " Default: ${DEFAULT-VALUE}.")
    Duration rotationGrace;

    /** The rotation of an embedded store: {@code --rotation-period 0} turns it off. */
    public RotationPolicy rotation() throws CiJwtException {
        return RotationPolicy.of(rotationPeriod, rotationGrace, RotationPolicy.DEFAULT_MAX_TOKEN_TTL);
    }

    public KeySource source() throws CiJwtException {
        return source(EmbeddedKeyStore.DEFAULT_ALGORITHMS);
    }

    /**
     * The key source, generating (embedded store, ephemeral) only the algorithms a command signs
     * with: an RSA key costs a second or more to make, which a one-token command should not pay.
     */
    public KeySource source(Set<SigningAlgorithm> algorithms) throws CiJwtException {
        return KeySources.resolve(keys, new KeySources.Options(keyId, verifyKeys, rotation(), Clock.systemUTC(),
                algorithms, System.getenv()));
    }
}
