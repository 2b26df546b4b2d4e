package org.cijwt.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.delivery.RefreshScheduler;
import org.cijwt.delivery.TokenAccess;
import org.cijwt.delivery.TokenDirectory;
import org.cijwt.delivery.TokenRefresher;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.io.FileOwner;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;
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

    /** A PEM signing key plus a pinned public key, as {@code serve --keys F --verify-keys P} builds it. */
    private KeySource signingAndPinned(Path signing, Path pinned) throws Exception {
        return KeySources.resolve(signing.toString(), KeySources.Options.defaults().withEnv(Map.of())
                .withVerificationKeys(List.of(pinned)));
    }

    private static String pinnedKid() throws Exception {
        return KeyCodec.parsePem(TestKeys.text(TestKeys.ED25519_PUBLIC), "fixture").stream()
                .map(KeyEntry::thumbprint).findFirst().orElseThrow();
    }

    @Test
    void refreshWhenVerificationFileIsDeletedThenItsKeysAreDroppedAndTheRingIsNotDegraded() throws Exception {
        Path pinned = TestKeys.copyPublic(TestKeys.ED25519_PUBLIC, dir);
        ReloadingKeyRing r = ReloadingKeyRing.start(signingAndPinned(TestKeys.copyPrivate(TestKeys.P256, dir), pinned), clock);
        assertThat(r.get().publishedKey(pinnedKid())).isPresent();

        Files.delete(pinned);

        assertThat(r.refresh()).isTrue();
        assertThat(r.get().publishedKey(pinnedKid())).isEmpty();
        assertThat(r.get().signingAlgorithms()).containsExactly(SigningAlgorithm.ES256);
        assertThat(r.degraded()).isFalse();
        assertThat(r.lastError()).isNull();
    }

    @Test
    void refreshWhenVerificationFileIsEmptiedThenItsKeysAreDropped() throws Exception {
        Path pinned = TestKeys.copyPublic(TestKeys.ED25519_PUBLIC, dir);
        ReloadingKeyRing r = ReloadingKeyRing.start(signingAndPinned(TestKeys.copyPrivate(TestKeys.P256, dir), pinned), clock);

        Files.write(pinned, new byte[0]);

        assertThat(r.refresh()).isTrue();
        assertThat(r.get().publishedKey(pinnedKid())).isEmpty();
        assertThat(r.degraded()).isFalse();
    }

    @Test
    void refreshWhenSigningFileIsDeletedThenTheLastGoodSignerStaysAndTheRingIsDegradedUntilItIsBack() throws Exception {
        Path signing = TestKeys.copyPrivate(TestKeys.P256, dir);
        ReloadingKeyRing r = ReloadingKeyRing.start(PemKeySource.file(signing), clock);
        String before = es256(r.get());

        Files.delete(signing);

        assertThat(r.refresh()).isFalse();
        assertThat(es256(r.get())).isEqualTo(before);
        assertThat(r.degraded()).isTrue();
        assertThat(r.reloadErrors()).singleElement().asString().startsWith("CJ201").contains(signing.toString());
        assertThat(r.failedReloads()).isEqualTo(1);

        TestKeys.copyPrivate(TestKeys.P256, dir);
        assertThat(r.refresh()).isFalse();
        assertThat(r.degraded()).isFalse();
        assertThat(r.lastError()).isNull();
    }

    @Test
    void refreshWhenSigningFileBreaksAndAVerificationFileIsDeletedThenOnlyTheVerificationKeysGo() throws Exception {
        Path signing = TestKeys.copyPrivate(TestKeys.P256, dir);
        Path pinned = TestKeys.copyPublic(TestKeys.ED25519_PUBLIC, dir);
        ReloadingKeyRing r = ReloadingKeyRing.start(signingAndPinned(signing, pinned), clock);
        String signer = es256(r.get());

        TestKeys.write(signing, "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n", "rw-------");
        Files.delete(pinned);

        assertThat(r.refresh()).isTrue();
        assertThat(r.get().publishedKey(pinnedKid())).as("a removed key goes, whatever else is broken").isEmpty();
        assertThat(es256(r.get())).isEqualTo(signer);
        assertThat(r.degraded()).isTrue();
        assertThat(r.lastError()).contains(signing.toString()).doesNotContain(pinned.toString());
    }

    @Test
    void refreshWhenAVerificationKeyBecomesASmallOrderPointThenNoExceptionEscapesAndTheErrorNamesTheFile() throws Exception {
        Path pinned = TestKeys.copyPublic(TestKeys.ED25519_PUBLIC, dir);
        ReloadingKeyRing r = ReloadingKeyRing.start(signingAndPinned(TestKeys.copyPrivate(TestKeys.P256, dir), pinned), clock);
        Path jwks = dir.resolve("pinned.jwks");
        Files.writeString(jwks, MalformedKeys.ed25519Jwks("evil", MalformedKeys.SMALL_ORDER_ED25519.get(0)));
        Files.move(jwks, pinned, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        assertThat(r.refresh()).isFalse();
        assertThat(r.lastError()).startsWith("CJ206").contains(pinned.toString());
        assertThat(r.get().publishedKey(pinnedKid())).as("a broken file keeps its last good keys").isPresent();
        assertThat(r.get().publishedKey("evil")).isEmpty();
    }

    @Test
    void refreshWhenTheSigningPemIsCutDownToItsScalarThenNoExceptionEscapes() throws Exception {
        Path signing = TestKeys.copyPrivate(TestKeys.P256, dir);
        ReloadingKeyRing r = ReloadingKeyRing.start(PemKeySource.file(signing), clock);
        TestKeys.write(signing, MalformedKeys.ecPemWithoutCurve(), "rw-------");

        assertThat(r.refresh()).isFalse();
        assertThat(r.lastError()).startsWith("CJ206").contains(signing.toString());
    }

    @Test
    void refreshWhenASourceThrowsAnUncheckedExceptionThenTheLastGoodRingStaysAndItIsReported() throws Exception {
        KeyRing good = KeySources.resolve(TestKeys.copyPrivate(TestKeys.P256, dir).toString(), KeySources.Options.defaults()).load();
        AtomicInteger loads = new AtomicInteger();
        KeySource buggy = new KeySource() {
            @Override
            public KeyRing load() {
                if (loads.getAndIncrement() > 0) {
                    throw new IllegalStateException("a bug");
                }
                return good;
            }

            @Override
            public Instant nextScheduledChange() {
                return Instant.EPOCH;
            }

            @Override
            public String describe() {
                return "buggy source";
            }
        };
        ReloadingKeyRing r = ReloadingKeyRing.start(buggy, clock);

        assertThat(r.refresh()).isFalse();
        assertThat(r.get()).isSameAs(good);
        assertThat(r.lastError()).contains("internal error reloading buggy source").contains("IllegalStateException");
        assertThat(r.degraded()).isTrue();
    }

    @Test
    void tokenRefresherWhenTheKeyFileBecomesMalformedThenItKeepsRefreshingWithTheLastGoodKey() throws Exception {
        Path signing = TestKeys.copyPrivate(TestKeys.P256, dir);
        ReloadingKeyRing ring = ReloadingKeyRing.start(PemKeySource.file(signing), clock);
        // As preflight --watch wires it: each mint first lets the ring pick up changed files.
        TokenMinter minter = new TokenMinter(() -> {
            ring.refresh();
            return ring.get();
        }, clock);
        BuildMetadata metadata = BuildMetadata.fromJson(TestKeys.metadata("main"), "main.json");
        ClaimsPolicy policy = ClaimsPolicy.builder().audience("vault").ttl(Duration.ofMinutes(10)).build();
        TokenDirectory tokens = TokenDirectory.create(dir.resolve("tokens"), TokenAccess.forReader(FileOwner.ROOT));
        MintedToken first = minter.mint(metadata, policy);
        tokens.write("jwt", first.compact());
        List<String> failures = new ArrayList<>();
        HandScheduler scheduler = new HandScheduler();
        TokenRefresher refresher = new TokenRefresher(tokens, name -> minter.mint(metadata, policy), clock, scheduler,
                new TokenRefresher.Listener() {
                    @Override
                    public void refreshed(String name, MintedToken token) {
                    }

                    @Override
                    public void failed(String name, String reason, Duration retryIn) {
                        failures.add(reason);
                    }
                });
        refresher.start(Map.of("jwt", first));

        TestKeys.write(signing, MalformedKeys.ecPemWithoutCurve(), "rw-------");
        for (int round = 1; round <= 2; round++) {
            clock.advance(Duration.ofMinutes(8));
            scheduler.runAll();
            assertThat(refresher.current().get("jwt").issuedAt()).as("round " + round).isEqualTo(clock.instant());
            assertThat(refresher.nextRefresh("jwt")).as("round " + round).isPresent();
        }
        assertThat(refresher.current().get("jwt").kid()).isEqualTo(first.kid());
        assertThat(failures).isEmpty();
        assertThat(ring.lastError()).startsWith("CJ206").contains(signing.toString());
        refresher.close();
    }

    /** Runs the tasks it was given when the test says so: a scheduler is not what is under test. */
    private static final class HandScheduler implements RefreshScheduler {
        private final List<Runnable> tasks = new ArrayList<>();

        @Override
        public synchronized Scheduled schedule(Runnable task, Duration delay) {
            tasks.add(task);
            return () -> tasks.remove(task);
        }

        synchronized void runAll() {
            List<Runnable> now = new ArrayList<>(tasks);
            tasks.clear();
            now.forEach(Runnable::run);
        }

        @Override
        public void close() {
        }
    }
}
