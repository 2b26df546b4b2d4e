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
import org.cijwt.keys.KeySettings;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.RotationPolicy;
import picocli.CommandLine.Option;

/**
 * The key-ring options, declared once for every verb that signs or publishes ({@code serve}
 * included); their texts are {@link KeySettings}', shared with {@code serve}'s settings table).
 */
public final class KeyOptions {

    @Option(names = "--keys", paramLabel = "PATH", description = KeySettings.KEYS_HELP + " Default: ./.ci-jwt/keys.")
    String keys;

    @Option(names = "--key-id", paramLabel = "KID", description = KeySettings.KEY_ID_HELP)
    String keyId;

    @Option(names = "--verify-keys", paramLabel = "FILE", split = ",", description = KeySettings.VERIFY_KEYS_HELP)
    List<Path> verifyKeys = new ArrayList<>();

    @Option(names = "--rotation-period", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = KeySettings.ROTATION_PERIOD_DEFAULT, description = KeySettings.ROTATION_PERIOD_HELP + " Default: ${DEFAULT-VALUE}.")
    Duration rotationPeriod;

    @Option(names = "--rotation-grace", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = KeySettings.ROTATION_GRACE_DEFAULT, description = KeySettings.ROTATION_GRACE_HELP + " Default: ${DEFAULT-VALUE}.")
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
