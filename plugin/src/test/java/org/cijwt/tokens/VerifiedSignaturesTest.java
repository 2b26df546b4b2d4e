package org.cijwt.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.EphemeralKeySource;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.VerificationKeySource;
import org.junit.jupiter.api.Test;

class VerifiedSignaturesTest {
    private static final String ISSUER = "https://ci.example.com";
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));

    private static KeyRing publicOnly(KeyRing ring) throws Exception {
        return VerificationKeySource.fromJwks(ring.publicJwksJson(), "jwks");
    }

    private String mint(KeyRing ring, String audience) throws Exception {
        BuildMetadata md = BuildMetadata.fromJson(TestKeys.metadata("main"), "main");
        ClaimsPolicy p = ClaimsPolicy.builder().issuer(ISSUER).audience(audience).algorithm(SigningAlgorithm.EdDSA)
                .ttl(Duration.ofMinutes(5)).build();
        return new TokenMinter(() -> ring, clock).mint(md, p).compact();
    }

    @Test
    void verifyWhenCachedThenTimeAndAudienceAreStillCheckedEveryCall() throws Exception {
        KeyRing signing = new EphemeralKeySource(Set.of(SigningAlgorithm.EdDSA)).load();
        KeyRing published = publicOnly(signing);
        TokenVerifier v = new TokenVerifier(() -> published, ISSUER, List.of("vault"), Duration.ZERO, clock, 100);
        String token = mint(signing, "vault");
        assertThat(v.verify(token).active()).isTrue();
        assertThat(v.verify(token).active()).as("served from the cache").isTrue();
        assertThat(((Verification.Rejected) v.verify(token, "aws")).reason()).isEqualTo(Rejection.WRONG_AUDIENCE);
        clock.advance(Duration.ofMinutes(5));
        assertThat(((Verification.Rejected) v.verify(token)).reason()).isEqualTo(Rejection.EXPIRED);
    }

    @Test
    void verifyWhenKeyRingReloadsWithoutTheKeyThenTheCachedTokenIsRejected() throws Exception {
        KeyRing signing = new EphemeralKeySource(Set.of(SigningAlgorithm.EdDSA)).load();
        KeyRing other = new EphemeralKeySource(Set.of(SigningAlgorithm.EdDSA)).load();
        AtomicReference<KeyRing> current = new AtomicReference<>(publicOnly(signing));
        TokenVerifier v = new TokenVerifier(current::get, ISSUER, List.of("vault"), Duration.ZERO, clock, 100);
        String token = mint(signing, "vault");
        assertThat(v.verify(token).active()).isTrue();
        current.set(publicOnly(other));
        assertThat(((Verification.Rejected) v.verify(token)).reason()).isEqualTo(Rejection.UNKNOWN_KID);
    }

    @Test
    void verifyWhenTamperedCopyOfACachedTokenThenStillBadSignature() throws Exception {
        KeyRing signing = new EphemeralKeySource(Set.of(SigningAlgorithm.EdDSA)).load();
        KeyRing published = publicOnly(signing);
        TokenVerifier v = new TokenVerifier(() -> published, ISSUER, List.of("vault"), Duration.ZERO, clock, 100);
        String token = mint(signing, "vault");
        assertThat(v.verify(token).active()).isTrue();
        String[] p = token.split("\\.");
        String tampered = p[0] + "." + p[1] + "." + (p[2].charAt(0) == 'A' ? 'B' : 'A') + p[2].substring(1);
        assertThat(((Verification.Rejected) v.verify(tampered)).reason()).isEqualTo(Rejection.BAD_SIGNATURE);
    }

    @Test
    void putWhenFullThenTheCacheStaysWithinItsCapacityAndHoldsNoToken() throws Exception {
        KeyRing signing = new EphemeralKeySource(Set.of(SigningAlgorithm.EdDSA)).load();
        VerifiedSignatures cache = new VerifiedSignatures(3);
        for (int i = 0; i < 10; i++) {
            String token = mint(signing, "aud-" + i);
            String key = VerifiedSignatures.key(token);
            assertThat(key).doesNotContain(token.substring(0, 20)).hasSize(43);
            cache.put(key, new VerifiedSignatures.Entry(signing, null, "k", SigningAlgorithm.EdDSA,
                    clock.instant().plusSeconds(60)), clock.instant());
            assertThat(cache.size()).isLessThanOrEqualTo(3);
        }
    }
}
