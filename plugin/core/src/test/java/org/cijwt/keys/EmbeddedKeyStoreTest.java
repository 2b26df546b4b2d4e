package org.cijwt.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.jose.SigningAlgorithm;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKeyStoreTest {
    private static final Duration PERIOD = Duration.ofDays(7);
    private static final Duration GRACE = Duration.ofHours(24);
    private static final Duration MAX_TTL = Duration.ofHours(24);
    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(T0);

    private EmbeddedKeyStore store() throws Exception {
        return new EmbeddedKeyStore(dir.resolve("keys"), RotationPolicy.of(PERIOD, GRACE, MAX_TTL), clock, Set.of(SigningAlgorithm.ES256));
    }

    private static String signer(KeyRing ring) throws Exception {
        return ring.requireSigner(SigningAlgorithm.ES256).kid();
    }

    @Test
    void loadWhenFirstUseThenAKeyIsGeneratedIntoAPrivateFile() throws Exception {
        EmbeddedKeyStore s = store();
        KeyRing ring = s.load();
        assertThat(ring.publishedKeys()).hasSize(1);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(s.keysFile()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keys")))).isEqualTo("rwx------");
        assertThat(Files.list(dir.resolve("keys")).map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }

    @Test
    void loadWhenStoreExistsThenTheSameKeyIsReused() throws Exception {
        String first = signer(store().load());
        assertThat(signer(store().load())).isEqualTo(first);
    }

    @Test
    void loadWhenKeyFileIsReadableByOthersThenRefused() throws Exception {
        EmbeddedKeyStore s = store();
        s.load();
        Files.setPosixFilePermissions(s.keysFile(), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(s::load).hasMessageContaining("chmod 600")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_FILE_PERMISSIONS);
    }

    /** Another user's uid: the tests run as root, which may give files away. */
    private static final int NOBODY = 65534;

    private static void assumeRoot() throws Exception {
        if (((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0) {
            return;
        }
        String reason = "giving a file to another user (chown) needs root";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(reason + " (CI=true runs the tests as root)");
        }
        Assumptions.abort(reason);
    }

    private static void chown(Path p, int uid) throws Exception {
        Files.setAttribute(p, "unix:uid", uid);
    }

    @Test
    void loadWhenStoreDirectoryIsWritableByOthersThenRefusedNamingTheChmod() throws Exception {
        EmbeddedKeyStore s = store();
        s.load();
        Files.setPosixFilePermissions(dir.resolve("keys"), PosixFilePermissions.fromString("rwx---rwx"));
        assertThatThrownBy(s::load)
                .hasMessageContaining("key store directory " + dir.resolve("keys") + " is writable by group or others")
                .hasMessageContaining("chmod 700 " + dir.resolve("keys"))
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_STORE_UNSAFE);
    }

    @Test
    void loadWhenStoreDirectoryIsWritableByItsGroupThenRefused() throws Exception {
        EmbeddedKeyStore s = store();
        s.load();
        Files.setPosixFilePermissions(dir.resolve("keys"), PosixFilePermissions.fromString("rwxrwx---"));
        assertThatThrownBy(s::load).extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_STORE_UNSAFE);
    }

    @Test
    void loadWhenAnotherUserPlantedAPrivateKeysFileInAWorldWritableStoreThenNothingIsSigned() throws Exception {
        assumeRoot();
        // The finding: a world-writable directory and a 0600 keys.json that another user wrote.
        Path keys = Files.createDirectory(dir.resolve("keys"));
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwxrwxrwx"));
        EmbeddedKeyStore planted = new EmbeddedKeyStore(dir.resolve("planted"), RotationPolicy.NEVER, clock, Set.of(SigningAlgorithm.ES256));
        planted.load();
        Files.move(planted.keysFile(), keys.resolve(EmbeddedKeyStore.KEYS_FILE));
        chown(keys.resolve(EmbeddedKeyStore.KEYS_FILE), NOBODY);

        assertThatThrownBy(() -> store().load())
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_STORE_UNSAFE);
    }

    @Test
    void loadWhenKeysFileIsOwnedByAnotherUserThenRefusedSayingHowToFixIt() throws Exception {
        assumeRoot();
        EmbeddedKeyStore s = store();
        s.load();
        chown(s.keysFile(), NOBODY);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(s.keysFile()))).isEqualTo("rw-------");
        assertThatThrownBy(s::load)
                .hasMessageContaining("key store " + s.keysFile() + " is owned by uid " + NOBODY + ", not by uid 0")
                .hasMessageContaining("delete it")
                .hasMessageContaining("chown 0 " + s.keysFile())
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_STORE_UNSAFE);
    }

    @Test
    void loadWhenStoreDirectoryIsOwnedByAnotherUserThenRefused() throws Exception {
        assumeRoot();
        EmbeddedKeyStore s = store();
        s.load();
        chown(dir.resolve("keys"), NOBODY);
        assertThatThrownBy(s::load)
                .hasMessageContaining("key store directory " + dir.resolve("keys") + " is owned by uid " + NOBODY)
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_STORE_UNSAFE);
    }

    @Test
    void loadWhenLockFileIsOwnedByAnotherUserThenRefused() throws Exception {
        assumeRoot();
        EmbeddedKeyStore s = store();
        s.load();
        chown(dir.resolve("keys").resolve(".lock"), NOBODY);
        assertThatThrownBy(s::load).extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_STORE_UNSAFE);
    }

    @Test
    void loadWhenFirstUseThenTheLockFileIs0600AndAnOlderWiderOneIsNarrowed() throws Exception {
        EmbeddedKeyStore s = store();
        s.load();
        Path lock = dir.resolve("keys").resolve(".lock");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lock))).isEqualTo("rw-------");
        Files.setPosixFilePermissions(lock, PosixFilePermissions.fromString("rw-r--r--"));
        s.load();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lock))).isEqualTo("rw-------");
    }

    @Test
    void rotationWhenPeriodAdvancesThenNextKeyIsPublishedAGraceAheadAndOldKeyStaysUntilItsTokensExpire() throws Exception {
        EmbeddedKeyStore s = store();
        String first = signer(s.load());

        clock.set(T0.plus(PERIOD).minus(GRACE).minusSeconds(1));
        assertThat(s.load().publishedKeys()).hasSize(1);

        clock.set(T0.plus(PERIOD).minus(GRACE));
        KeyRing announced = s.load();
        assertThat(announced.publishedKeys()).hasSize(2);
        assertThat(signer(announced)).as("the next key is published but does not sign yet").isEqualTo(first);
        String next = announced.publishedKeys().stream().map(k -> k.entry().kid()).filter(k -> !k.equals(first)).findFirst().orElseThrow();

        clock.set(T0.plus(PERIOD).minusSeconds(1));
        assertThat(signer(s.load())).isEqualTo(first);

        clock.set(T0.plus(PERIOD));
        KeyRing switched = s.load();
        assertThat(signer(switched)).isEqualTo(next);
        assertThat(switched.publishedKey(first)).as("old key verifies tokens it signed").isPresent();

        clock.set(T0.plus(PERIOD).plus(MAX_TTL).plus(RotationPolicy.RETIRE_MARGIN).minusSeconds(1));
        assertThat(s.load().publishedKey(first)).isPresent();

        clock.set(T0.plus(PERIOD).plus(MAX_TTL).plus(RotationPolicy.RETIRE_MARGIN));
        KeyRing retired = s.load();
        assertThat(retired.publishedKey(first)).isEmpty();
        assertThat(signer(retired)).isEqualTo(next);
    }

    @Test
    void rotationWhenStoreWasIdleLongerThanAPeriodThenOldKeyKeepsSigningUntilTheNewOneWasPublishedAGrace() throws Exception {
        EmbeddedKeyStore s = store();
        String first = signer(s.load());
        clock.set(T0.plus(PERIOD.multipliedBy(3)));
        KeyRing ring = s.load();
        assertThat(signer(ring)).isEqualTo(first);
        assertThat(ring.publishedKeys()).hasSize(2);
        clock.advance(GRACE);
        assertThat(signer(s.load())).isNotEqualTo(first);
    }

    @Test
    void nextScheduledChangeWhenLoadedThenPointsAtTheNextPublication() throws Exception {
        EmbeddedKeyStore s = store();
        s.load();
        assertThat(s.nextScheduledChange()).isEqualTo(T0.plus(PERIOD).minus(GRACE));
    }

    @Test
    void rotationPolicyWhenGraceShorterThanLongestTokenThenConfigurationError() {
        assertThatThrownBy(() -> RotationPolicy.of(PERIOD, Duration.ofHours(1), Duration.ofHours(2)))
                .hasMessageContaining("grace period 1h is shorter than the longest token lifetime 2h");
        assertThatThrownBy(() -> RotationPolicy.of(Duration.ofHours(10), Duration.ofHours(10), Duration.ofHours(1)))
                .hasMessageContaining("must be shorter than the rotation period");
    }

    @Test
    void rotationWhenPeriodZeroThenTheKeyNeverChanges() throws Exception {
        EmbeddedKeyStore s = new EmbeddedKeyStore(dir.resolve("k"), RotationPolicy.of(Duration.ZERO, Duration.ZERO, MAX_TTL), clock, Set.of(SigningAlgorithm.EdDSA));
        String first = s.load().requireSigner(SigningAlgorithm.EdDSA).kid();
        clock.advance(Duration.ofDays(400));
        KeyRing later = s.load();
        assertThat(later.requireSigner(SigningAlgorithm.EdDSA).kid()).isEqualTo(first);
        assertThat(later.publishedKeys()).hasSize(1);
    }
}
