package org.cijwt.keys;

/**
 * The key-ring settings every process that reads keys shares ({@code keys}, {@code key_id},
 * {@code verification_keys}, rotation): their help texts and defaults, written once so that the
 * command line's {@code --help}, {@code serve}'s settings table and the docs say the same.
 */
public final class KeySettings {
    /** Texts shared with {@code serve}'s settings table, so that {@code --help} and docs/settings.md say the same. */
    public static final String KEYS_HELP = "Key state directory (embedded store), a PEM file, a JWKS file or 'ephemeral'."
            + " Without it $" + KeySources.ENV_KEY_FILE + " or $" + KeySources.ENV_KEY + " are used if set.";
    public static final String KEY_ID_HELP = "With a JWKS file: the id of the key that signs.";
    public static final String VERIFY_KEYS_HELP = "Public keys (PEM or JWKS) to publish and accept but never sign with;"
            + " repeatable or comma-separated.";
    public static final String ROTATION_PERIOD_HELP = "Embedded store: how long a key signs before the next takes over;"
            + " 0 turns rotation off.";
    public static final String ROTATION_GRACE_HELP = "Embedded store: how long the next key is published before it signs;"
            + " at least the longest token lifetime.";
    /** Defaults in the duration grammar; {@code KeyOptionsTest (in the CLI)} holds them equal to {@link RotationPolicy}'s. */
    public static final String ROTATION_PERIOD_DEFAULT = "7d";
    public static final String ROTATION_GRACE_DEFAULT = "24h";

    private KeySettings() {
    }
}
