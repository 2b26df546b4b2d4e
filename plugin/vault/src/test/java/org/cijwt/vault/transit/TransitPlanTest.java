package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyCodec;
import org.cijwt.keys.RotationPolicy;
import org.junit.jupiter.api.Test;

/** Which Transit version signs and which are published, with the clock and Vault's answers given by hand. */
class TransitPlanTest {
    private static final Instant T0 = Instant.parse("2026-12-01T08:00:00Z");
    private static final Duration AHEAD = Duration.ofMinutes(10);
    private static final Duration POLL = Duration.ofSeconds(30);
    private static final Duration MAX_TTL = Duration.ofHours(1);

    private final NavigableMap<Integer, TransitKeyInfo.Version> seen = new TreeMap<>();
    private final Map<Integer, TransitKeyInfo.Version> made = new TreeMap<>();

    private static TransitSettings settings(TransitSettings.Retire retire) throws Exception {
        return TransitSettings.load(Map.of("VAULT_ADDR", "http://127.0.0.1:8200", "VAULT_TOKEN", "t"))
                .withTiming(Duration.ofSeconds(5), POLL, AHEAD, MAX_TTL).withRetire(retire);
    }

    private TransitKeyInfo.Version version(int n, Instant created) {
        return made.computeIfAbsent(n, k -> new TransitKeyInfo.Version(k, created,
                KeyCodec.generate(SigningAlgorithm.ES256).toPublicJWK()));
    }

    /** Vault's answer: versions minDecryption..latest, created at the given instants. */
    private TransitKeyInfo info(int minDecryption, Instant... created) {
        List<TransitKeyInfo.Version> versions = new ArrayList<>();
        for (int i = 0; i < created.length; i++) {
            if (i + 1 >= minDecryption) {
                versions.add(version(i + 1, created[i]));
            }
        }
        return new TransitKeyInfo("ecdsa-p256", SigningAlgorithm.ES256, created.length, minDecryption, 0, versions);
    }

    private TransitPlan plan(TransitKeyInfo info, Instant now) throws Exception {
        return plan(info, now, TransitSettings.Retire.AFTER_EXPIRY);
    }

    private TransitPlan plan(TransitKeyInfo info, Instant now, TransitSettings.Retire retire) throws Exception {
        return TransitPlan.plan(info, seen, now, settings(retire), "transit key transit/ci-jwt");
    }

    private static List<Integer> published(TransitPlan plan) {
        return plan.published().stream().map(p -> p.version().number()).toList();
    }

    @Test
    void planWhenKeyIsNewThenItsOnlyVersionSignsAtOnce() throws Exception {
        TransitPlan plan = plan(info(1, T0), T0.plusSeconds(1));

        assertThat(plan.signer().number()).isEqualTo(1);
        assertThat(plan.signerFresh()).isTrue();
        assertThat(published(plan)).containsExactly(1);
        assertThat(plan.nextChange()).isEqualTo(T0.plusSeconds(1).plus(POLL));
    }

    @Test
    void planWhenVaultRotatedThenNewVersionIsPublishedAtOnceAndSignsOnlyAfterPublishAhead() throws Exception {
        Instant rotated = T0.plus(Duration.ofDays(1));
        Instant justAfter = rotated.plusSeconds(5);

        TransitPlan before = plan(info(1, T0, rotated), justAfter);
        TransitPlan stillBefore = plan(info(1, T0, rotated), rotated.plus(AHEAD).minusMillis(1));
        TransitPlan after = plan(info(1, T0, rotated), rotated.plus(AHEAD));

        assertThat(before.signer().number()).isEqualTo(1);
        assertThat(published(before)).containsExactly(1, 2);
        assertThat(before.signerFresh()).isFalse();
        assertThat(stillBefore.signer().number()).isEqualTo(1);
        // The switch is a scheduled change: the ring is loaded again exactly then, not a poll later.
        assertThat(stillBefore.nextChange()).isEqualTo(rotated.plus(AHEAD));
        assertThat(after.signer().number()).isEqualTo(2);
        assertThat(published(after)).containsExactly(1, 2);
    }

    @Test
    void planWhenMinDecryptionVersionRaisedThenOldVersionStaysUntilItsLastTokenExpired() throws Exception {
        Instant rotated = T0.plus(Duration.ofDays(1));
        plan(info(1, T0, rotated), rotated.plusSeconds(1));
        Instant retireAt = rotated.plus(AHEAD).plus(POLL).plus(MAX_TTL).plus(RotationPolicy.RETIRE_MARGIN);

        TransitPlan kept = plan(info(2, T0, rotated), rotated.plus(AHEAD).plusSeconds(1));
        TransitPlan lastMoment = plan(info(2, T0, rotated), retireAt.minusMillis(1));
        TransitPlan gone = plan(info(2, T0, rotated), retireAt);

        assertThat(published(kept)).containsExactly(1, 2);
        assertThat(kept.published().get(0).retiresAt()).isEqualTo(retireAt);
        assertThat(kept.signer().number()).isEqualTo(2);
        assertThat(lastMoment.nextChange()).isEqualTo(retireAt);
        assertThat(published(lastMoment)).containsExactly(1, 2);
        assertThat(published(gone)).containsExactly(2);
        assertThat(seen).doesNotContainKey(1);
    }

    @Test
    void planWhenOperatorSaysImmediatelyThenRaisedVersionLeavesAtOnce() throws Exception {
        Instant rotated = T0.plus(Duration.ofDays(1));
        plan(info(1, T0, rotated), rotated.plus(AHEAD));

        TransitPlan plan = plan(info(2, T0, rotated), rotated.plus(AHEAD).plusSeconds(1), TransitSettings.Retire.IMMEDIATELY);

        assertThat(published(plan)).containsExactly(2);
    }

    @Test
    void planWhenOldVersionRemovedBeforeNewOneIsDueThenNewSignsAsFreshAndOldStaysForItsTokens() throws Exception {
        Instant rotated = T0.plus(Duration.ofDays(1));
        plan(info(1, T0, rotated), rotated.plusSeconds(1));

        TransitPlan plan = plan(info(2, T0, rotated), rotated.plusSeconds(2));

        assertThat(plan.signer().number()).isEqualTo(2);
        assertThat(plan.signerFresh()).isTrue();
        assertThat(published(plan)).containsExactly(1, 2);
    }

    @Test
    void planWhenMinEncryptionVersionIsSetThenOlderVersionsArePublishedButDoNotSign() throws Exception {
        Instant second = T0.plus(Duration.ofDays(1));
        Instant third = second.plus(Duration.ofDays(1));
        List<TransitKeyInfo.Version> versions = List.of(version(1, T0), version(2, second), version(3, third));
        TransitKeyInfo info = new TransitKeyInfo("ecdsa-p256", SigningAlgorithm.ES256, 3, 1, 3, versions);

        TransitPlan plan = plan(info, third.plusSeconds(1));

        assertThat(plan.signer().number()).isEqualTo(3);
        assertThat(published(plan)).containsExactly(1, 2, 3);
    }
}
