package org.cijwt.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadingKeyRingTest {
    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-01T00:00:00Z"));

    private static String es256(KeyRing ring) throws Exception {
        return ring.requireSigner(SigningAlgorithm.ES256).kid();
    }

    @Test
    void refreshWhenFileUnchangedThenNoReload() throws Exception {
        Path f = TestKeys.copyPrivate(TestKeys.P256, dir);
        ReloadingKeyRing r = ReloadingKeyRing.start(PemKeySource.file(f), clock);
        assertThat(r.refresh()).isFalse();
    }

    @Test
    void refreshWhenFileReplacedThenNewKeysWithoutRestart() throws Exception {
        Path f = TestKeys.copyPrivate(TestKeys.P256, dir);
        ReloadingKeyRing r = ReloadingKeyRing.start(PemKeySource.file(f), clock);
        String before = es256(r.get());
        TestKeys.write(dir.resolve("next.pem"), TestKeys.text(TestKeys.P256_SECOND), "rw-------");
        Files.move(dir.resolve("next.pem"), f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(r.refresh()).isTrue();
        assertThat(es256(r.get())).isNotEqualTo(before);
    }

    @Test
    void refreshWhenKubernetesSwapsTheDataSymlinkThenNewKeysAreLoaded() throws Exception {
        // A Secret volume: key.pem -> ..data/key.pem, ..data -> ..2026_v1; an update swaps ..data.
        Path v1 = Files.createDirectory(dir.resolve("..2026_v1"));
        Path v2 = Files.createDirectory(dir.resolve("..2026_v2"));
        TestKeys.write(v1.resolve("key.pem"), TestKeys.text(TestKeys.P256), "rw-------");
        TestKeys.write(v2.resolve("key.pem"), TestKeys.text(TestKeys.P256_SECOND), "rw-------");
        Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Path key = Files.createSymbolicLink(dir.resolve("key.pem"), Path.of("..data", "key.pem"));
        ReloadingKeyRing r = ReloadingKeyRing.start(PemKeySource.file(key), clock);
        String before = es256(r.get());

        Path tmpLink = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
        Files.move(tmpLink, dir.resolve("..data"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);

        assertThat(r.refresh()).isTrue();
        assertThat(es256(r.get())).isNotEqualTo(before);
    }

    @Test
    void refreshWhenNewFileIsBrokenThenLastGoodRingIsKeptAndTheErrorIsReported() throws Exception {
        Path f = TestKeys.copyPrivate(TestKeys.P256, dir);
        ReloadingKeyRing r = ReloadingKeyRing.start(PemKeySource.file(f), clock);
        String before = es256(r.get());
        TestKeys.write(f, "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n", "rw-------");
        assertThat(r.refresh()).isFalse();
        assertThat(es256(r.get())).isEqualTo(before);
        assertThat(r.lastError()).contains(f.toString());
        TestKeys.write(f, TestKeys.text(TestKeys.P256_SECOND), "rw-------");
        assertThat(r.refresh()).isTrue();
        assertThat(r.lastError()).isNull();
    }

    @Test
    void refreshWhenRotationIsDueThenItReloadsWithoutAnyFileChange() throws Exception {
        EmbeddedKeyStore store = new EmbeddedKeyStore(dir.resolve("keys"),
                RotationPolicy.of(Duration.ofDays(7), Duration.ofDays(1), Duration.ofHours(1)), clock, Set.of(SigningAlgorithm.ES256));
        ReloadingKeyRing r = ReloadingKeyRing.start(store, clock);
        assertThat(r.refresh()).isFalse();
        clock.advance(Duration.ofDays(6));
        assertThat(r.refresh()).isTrue();
        assertThat(r.get().publishedKeys()).hasSize(2);
    }
}
