package org.cijwt.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;
import org.junit.jupiter.api.Test;

/** {@code --keys SCHEME:LOCATION} goes to the provider registered for the scheme (here a test provider, {@code echo}). */
class KeySourceProvidersTest {
    /** Registered in META-INF/services of the plugin's tests: ephemeral keys described by their location. */
    public static final class EchoProvider implements KeySourceProvider {
        @Override
        public String scheme() {
            return "echo";
        }

        @Override
        public KeySource open(String location, KeySources.Options options) throws CiJwtException {
            if (location.isEmpty()) {
                throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "setting keys: echo: needs a location");
            }
            EphemeralKeySource keys = new EphemeralKeySource(Set.of(SigningAlgorithm.EdDSA));
            return new KeySource() {
                @Override
                public KeyRing load() {
                    return keys.load();
                }

                @Override
                public String describe() {
                    return "echo " + location + " (env " + options.env().get("ECHO") + ")";
                }
            };
        }
    }

    private static KeySources.Options options() {
        return KeySources.Options.defaults().withEnv(Map.of("ECHO", "seen"));
    }

    @Test
    void resolveWhenSchemeHasAProviderThenItsSourceGetsTheLocationAndOptions() throws Exception {
        KeySource source = KeySources.resolve("echo:some/where", options());

        assertThat(source.describe()).isEqualTo("echo some/where (env seen)");
        assertThat(source.load().signingAlgorithms()).containsExactly(SigningAlgorithm.EdDSA);
    }

    @Test
    void resolveWhenProviderRefusesTheLocationThenItsErrorIsShown() {
        assertThatThrownBy(() -> KeySources.resolve("echo:", options()))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.KEY_SOURCE_INVALID))
                .hasMessageContaining("needs a location");
    }

    @Test
    void resolveWhenSchemeIsUnknownThenOneLineNamesTheSchemeAndTheKnownOnes() {
        assertThatThrownBy(() -> KeySources.resolve("vaultx:transit/ci-jwt", options()))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.KEY_SOURCE_INVALID))
                .hasMessageContaining("'vaultx'")
                .hasMessageContaining("[echo]");
    }

    @Test
    void resolveWhenDriveLetterThenNotAScheme() {
        // "C:" has a one-letter scheme, which is never a key source: it is a (non-existent) path.
        assertThatThrownBy(() -> KeySources.resolve("C:keys.pem", options()))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.KEY_SOURCE_INVALID))
                .hasMessageContaining("file does not exist");
    }
}
