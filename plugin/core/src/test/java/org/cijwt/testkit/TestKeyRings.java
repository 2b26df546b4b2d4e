package org.cijwt.testkit;

import com.nimbusds.jose.jwk.JWK;
import java.util.ArrayList;
import java.util.List;
import org.cijwt.errors.CiJwtException;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.VerificationKeySource;

/**
 * Key rings of the committed TEST keys, so that no test waits for a fresh RSA key: the signing
 * JWKS of {@link TestKeys} (kids {@code test-eddsa}, {@code test-es256}, {@code test-rs256}), one
 * signer per algorithm, loaded once (a ring is immutable).
 */
public final class TestKeyRings {

    /** How the committed ring names itself in messages. */
    public static final String ORIGIN = "the committed TEST signing JWKS";

    private TestKeyRings() {
    }

    /** The ring that signs with the committed JWKS keys, one per algorithm, and publishes their public halves. */
    public static KeyRing signing() {
        return Loaded.SIGNING;
    }

    /** What a relying party holds: the public halves of {@link #signing()}, verification only. */
    public static KeyRing published() {
        return Loaded.PUBLISHED;
    }

    /** A key source that always loads {@link #signing()}, for servers and reloading rings. */
    public static KeySource source() {
        return new KeySource() {
            @Override
            public KeyRing load() {
                return signing();
            }

            @Override
            public String describe() {
                return ORIGIN;
            }
        };
    }

    private static final class Loaded {
        static final KeyRing SIGNING = load();
        static final KeyRing PUBLISHED = publicHalves(SIGNING);

        private static KeyRing load() {
            try {
                List<KeyEntry> entries = new ArrayList<>();
                for (JWK jwk : TestKeys.signingJwks().getKeys()) {
                    entries.add(KeyEntry.of(jwk, null, ORIGIN));
                }
                return KeyRing.of(entries, List.of(), ORIGIN);
            } catch (CiJwtException e) {
                throw new IllegalStateException(ORIGIN + " does not load: " + e.getMessage(), e);
            }
        }

        private static KeyRing publicHalves(KeyRing ring) {
            try {
                return VerificationKeySource.fromJwks(ring.publicJwksJson(), "public halves of " + ORIGIN);
            } catch (CiJwtException e) {
                throw new IllegalStateException("the public halves of " + ORIGIN + " do not load: " + e.getMessage(), e);
            }
        }
    }
}
