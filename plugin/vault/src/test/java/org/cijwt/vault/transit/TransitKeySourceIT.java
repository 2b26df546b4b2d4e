package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.RelyingParties;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.Rejection;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --keys transit:MOUNT/KEY} against a real OpenBao dev server with the Transit engine
 * mounted here; the signer's token has exactly the signer policy of docs/transit.md.
 */
class TransitKeySourceIT {
    private static final String ISSUER = "https://ci.example.com";
    private static final String AUDIENCE = "transit-it";

    private static OpenBaoServer bao;
    private static TransitLab lab;
    private static BuildMetadata build;

    @TempDir
    Path temp;

    @BeforeAll
    static void startOpenBao() throws Exception {
        Assume.openBao();
        bao = OpenBaoServer.start();
        lab = TransitLab.of(bao);
        lab.mountTransit();
        build = BuildMetadata.fromJson(TestKeys.metadata("main"), "main");
    }

    @AfterAll
    static void stopOpenBao() {
        if (bao != null) {
            bao.stop();
        }
    }

    private Path settingsFile(String yaml) throws Exception {
        return Files.writeString(temp.resolve("transit-" + System.nanoTime() + ".yml"), yaml);
    }

    private KeySource source(String key, String token, String yaml) throws Exception {
        Map<String, String> env = TransitLab.env(bao.address().toString(), token, yaml == null ? null : settingsFile(yaml));
        return KeySources.resolve("transit:" + TransitLab.MOUNT + "/" + key, KeySources.Options.defaults().withEnv(env));
    }

    private static ClaimsPolicy policy(SigningAlgorithm alg) throws CiJwtException {
        return ClaimsPolicy.builder().issuer(ISSUER).audience(AUDIENCE).algorithm(alg).build();
    }

    private static Verification verify(KeyRing ring, String token) throws CiJwtException {
        KeyRing published = VerificationKeySource.fromJwks(ring.publicJwksJson(), "JWKS");
        return new TokenVerifier(() -> published, ISSUER, List.of(AUDIENCE), TokenVerifier.DEFAULT_LEEWAY,
                Clock.systemUTC()).verify(token);
    }

    @ParameterizedTest
    @CsvSource({"ed25519, EdDSA", "ecdsa-p256, ES256", "rsa-2048, RS256", "rsa-3072, RS256"})
    void mintWhenKeyTypeIsAllowedThenOurVerifierPyJwtAndJoseAcceptAndKidIsTheVersionsThumbprint(String type,
            SigningAlgorithm alg) throws Exception {
        String key = "sign-" + type;
        lab.createKey(key, type);
        KeyRing ring = source(key, lab.signerToken(key, Duration.ofMinutes(10)), null).load();

        MintedToken token = new TokenMinter(() -> ring, Clock.systemUTC()).mint(build, policy(alg));

        JWK vaultKey = TransitKeyInfo.parse(bao.apiOk("GET", "transit/keys/" + key, null).json().path("data"), key)
                .versions().get(0).publicKey();
        assertThat(token.kid()).isEqualTo(KeyEntry.thumbprint(vaultKey));
        assertThat(SignedJWT.parse(token.compact()).getHeader().getAlgorithm().getName()).isEqualTo(alg.jwaName());
        assertThat(verify(ring, token.compact()).active()).isTrue();
        assertThat(ring.publicJwksJson()).doesNotContain("\"d\"");
        Path jwks = Files.writeString(temp.resolve("jwks.json"), ring.publicJwksJson());
        RelyingParties.assumePythonTools();
        RelyingParties.verifyWithPyJwt(jwks, ISSUER, AUDIENCE, token.compact()).assertAccepted();
        RelyingParties.assumeNodeTools();
        RelyingParties.verifyWithJose(jwks, ISSUER, AUDIENCE, token.compact()).assertAccepted();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ecdsa-p384", "ecdsa-p521", "aes256-gcm96", "chacha20-poly1305"})
    void loadWhenKeyTypeIsNotOnTheAllowListThenRefusedNamingTheType(String type) throws Exception {
        String key = "refused-" + type;
        lab.createKey(key, type);
        KeySource source = source(key, lab.signerToken(key, Duration.ofMinutes(10)), null);

        assertThatThrownBy(source::load)
                .isInstanceOfSatisfying(CiJwtException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.ALGORITHM_NOT_ALLOWED);
                    assertThat(e.getMessage()).contains("transit key transit/" + key + " at " + bao.address())
                            .contains("'" + type + "'").doesNotContain("\n");
                });
    }

    @Test
    void loadWhenKeyDoesNotExistThenKeyNotFoundNamingKeyAndAddress() throws Exception {
        KeySource source = source("missing", bao.rootToken(), null);

        assertThatThrownBy(source::load)
                .isInstanceOfSatisfying(CiJwtException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.KEY_NOT_FOUND);
                    assertThat(e.getMessage()).contains(bao.address().toString(), "transit/missing");
                });
    }

    @Test
    void mintWhenNamespaceIsSetThenTheKeyOfThatNamespaceSigns() throws Exception {
        bao.apiOk("POST", "sys/namespaces/team-ci", "{}");
        bao.apiOk("POST", "team-ci/sys/mounts/transit", "{\"type\":\"transit\"}");
        bao.apiOk("POST", "team-ci/transit/keys/in-namespace", "{\"type\":\"ed25519\"}");
        Map<String, String> env = TransitLab.env(bao.address().toString(), bao.rootToken(), null);
        env.put("BAO_NAMESPACE", "team-ci");

        KeyRing ring = KeySources.resolve("transit:transit/in-namespace", KeySources.Options.defaults().withEnv(env)).load();
        MintedToken token = new TokenMinter(() -> ring, Clock.systemUTC()).mint(build, policy(SigningAlgorithm.EdDSA));

        assertThat(verify(ring, token.compact()).active()).isTrue();
        env.remove("BAO_NAMESPACE");
        assertThatThrownBy(() -> KeySources.resolve("transit:transit/in-namespace", KeySources.Options.defaults()
                .withEnv(env)).load())
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.KEY_NOT_FOUND));
    }

    @Test
    void loadAndMintWhenPolicyLacksACapabilityThenTheLineNamesTheMissingOne() throws Exception {
        lab.createKey("narrow", "ed25519");
        String readOnly = tokenWithPolicy("narrow-read", "path \"transit/keys/narrow\" { capabilities = [\"read\"] }");
        String signOnly = tokenWithPolicy("narrow-sign", "path \"transit/sign/narrow\" { capabilities = [\"update\"] }");

        KeyRing ring = source("narrow", readOnly, null).load();
        assertThatThrownBy(() -> new TokenMinter(() -> ring, Clock.systemUTC()).mint(build, policy(SigningAlgorithm.EdDSA)))
                .isInstanceOfSatisfying(CiJwtException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.KEY_SERVICE_FAILED);
                    assertThat(e.getMessage()).contains("permission denied", "needs update on transit/sign/narrow")
                            .doesNotContain(readOnly);
                });
        assertThatThrownBy(() -> source("narrow", signOnly, null).load())
                .isInstanceOfSatisfying(CiJwtException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.KEY_SERVICE_FAILED);
                    assertThat(e.getMessage()).contains("needs read on transit/keys/narrow").doesNotContain(signOnly);
                });
    }

    private static String tokenWithPolicy(String name, String hcl) throws Exception {
        bao.apiOk("POST", "sys/policies/acl/" + name, "{\"policy\":" + new com.fasterxml.jackson.databind.ObjectMapper()
                .writeValueAsString(hcl) + "}");
        return bao.apiOk("POST", "auth/token/create", "{\"policies\":[\"" + name + "\"],\"ttl\":\"10m\"}")
                .json().path("auth").path("client_token").asText();
    }

    @Test
    void mintWhenManyAtOnceThenTheyShareBatchRequestsAndEveryTokenVerifies() throws Exception {
        lab.createKey("burst", "ecdsa-p256");
        TransitKeySource source = (TransitKeySource) source("burst", lab.signerToken("burst", Duration.ofMinutes(10)),
                "concurrency: 2\nbatch_size: 100\n");
        KeyRing ring = source.load();
        TokenMinter minter = new TokenMinter(() -> ring, Clock.systemUTC());
        minter.mint(build, policy(SigningAlgorithm.ES256));
        int mints = 200;
        ExecutorService pool = Executors.newFixedThreadPool(50);
        CountDownLatch go = new CountDownLatch(1);
        long before = source.requestCount();
        try {
            List<Future<MintedToken>> futures = new ArrayList<>();
            for (int i = 0; i < mints; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return minter.mint(build, policy(SigningAlgorithm.ES256));
                }));
            }
            go.countDown();
            Set<String> jtis = new HashSet<>();
            for (Future<MintedToken> f : futures) {
                MintedToken t = f.get(60, TimeUnit.SECONDS);
                assertThat(verify(ring, t.compact()).active()).isTrue();
                jtis.add(t.jti());
            }
            assertThat(jtis).hasSize(mints);
        } finally {
            pool.shutdownNow();
            source.close();
        }
        long roundTrips = source.requestCount() - before;
        // With at most 2 requests in flight, 200 signatures asked for at once cannot take 200 round trips.
        assertThat(roundTrips).isLessThanOrEqualTo(mints / 4);
    }

    @Test
    void rotationWhileMintingThenNoMintFailsOldTokensStayValidAndNewOnesCarryTheNewKid() throws Exception {
        lab.createKey("rotating", "ed25519");
        ShiftedClock clock = new ShiftedClock();
        Map<String, String> env = TransitLab.env(bao.address().toString(), lab.signerToken("rotating", Duration.ofMinutes(10)),
                settingsFile("poll_interval: 1s\npublish_ahead: 3s\nmax_token_ttl: 1m\n"));
        KeySource source = KeySources.resolve("transit:transit/rotating", KeySources.Options.defaults().withEnv(env)
                .withClock(clock));
        ReloadingKeyRing ring = ReloadingKeyRing.start(source, clock);
        String oldKid = ring.get().requireSigner(SigningAlgorithm.EdDSA).kid();
        TokenMinter minter = new TokenMinter(ring, Clock.systemUTC());
        List<MintedToken> minted = new CopyOnWriteArrayList<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(3);
        for (int i = 0; i < 2; i++) {
            threads.submit(() -> {
                while (running.get()) {
                    try {
                        minted.add(minter.mint(build, policy(SigningAlgorithm.EdDSA)));
                        Thread.sleep(20);
                    } catch (Exception e) {
                        failures.add(e);
                    }
                }
                return null;
            });
        }
        // What serve and a watching pre-flight do: refresh the ring now and then.
        threads.submit(() -> {
            while (running.get()) {
                ring.refresh();
                Thread.sleep(100);
            }
            return null;
        });
        try {
            waitFor(() -> minted.size() >= 10, Duration.ofSeconds(20));
            List<MintedToken> beforeRotation = List.copyOf(minted);
            lab.rotate("rotating");
            waitFor(() -> ring.get().publishedKeys().size() == 2, Duration.ofSeconds(10));
            // Published, but not yet signing: relying parties get to see the new key first.
            assertThat(ring.get().requireSigner(SigningAlgorithm.EdDSA).kid()).isEqualTo(oldKid);
            waitFor(() -> !minted.get(minted.size() - 1).kid().equals(oldKid), Duration.ofSeconds(20));
            int switchedAt = minted.size();
            waitFor(() -> minted.size() >= switchedAt + 10, Duration.ofSeconds(20));
            running.set(false);
            threads.shutdown();
            assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

            assertThat(failures).isEmpty();
            String newKid = ring.get().requireSigner(SigningAlgorithm.EdDSA).kid();
            assertThat(newKid).isNotEqualTo(oldKid);
            assertThat(beforeRotation).extracting(MintedToken::kid).containsOnly(oldKid);
            assertThat(minted.subList(minted.size() - 5, minted.size())).extracting(MintedToken::kid).containsOnly(newKid);
            assertThat(minted).extracting(MintedToken::kid).containsOnly(oldKid, newKid);
            for (MintedToken t : minted) {
                assertThat(verify(ring.get(), t.compact()).active()).as(t.kid()).isTrue();
            }

            // The operator retires version 1: it stays published until its last token can have expired.
            lab.minDecryptionVersion("rotating", 2);
            clock.shift(Duration.ofSeconds(2));
            ring.refresh();
            assertThat(ring.lastError()).isNull();
            assertThat(ring.get().publishedKey(oldKid)).isPresent();
            assertThat(verify(ring.get(), beforeRotation.get(0).compact()).active()).isTrue();
            clock.shift(Duration.ofMinutes(1).plus(Duration.ofMinutes(6)));
            ring.refresh();
            assertThat(ring.get().publishedKey(oldKid)).isEmpty();
            assertThat(verify(ring.get(), beforeRotation.get(0).compact()))
                    .isInstanceOfSatisfying(Verification.Rejected.class, r -> assertThat(r.reason()).isEqualTo(Rejection.UNKNOWN_KID));
        } finally {
            running.set(false);
            threads.shutdownNow();
        }
    }

    @Test
    void refreshWhenOperatorRetiresImmediatelyThenTheVersionLeavesAtTheNextPoll() throws Exception {
        lab.createKey("leaked", "ecdsa-p256");
        lab.rotate("leaked");
        ShiftedClock clock = new ShiftedClock();
        Map<String, String> env = TransitLab.env(bao.address().toString(), lab.signerToken("leaked", Duration.ofMinutes(10)),
                settingsFile("poll_interval: 1s\npublish_ahead: 1s\nretire: immediately\n"));
        ReloadingKeyRing ring = ReloadingKeyRing.start(KeySources.resolve("transit:transit/leaked",
                KeySources.Options.defaults().withEnv(env).withClock(clock)), clock);
        assertThat(ring.get().publishedKeys()).hasSize(2);

        lab.minDecryptionVersion("leaked", 2);
        clock.shift(Duration.ofSeconds(2));

        assertThat(ring.refresh()).isTrue();
        assertThat(ring.get().publishedKeys()).hasSize(1);
    }

    @Test
    void mintWhenOpenBaoHangsThenFailsWithinTheTimeoutAndTheRingKeepsItsKeysThenBothRecover() throws Exception {
        lab.createKey("paused", "ecdsa-p256");
        ShiftedClock clock = new ShiftedClock();
        Map<String, String> env = TransitLab.env(bao.address().toString(), lab.signerToken("paused", Duration.ofMinutes(10)),
                settingsFile("timeout: 2s\npoll_interval: 1s\npublish_ahead: 1s\n"));
        ReloadingKeyRing ring = ReloadingKeyRing.start(KeySources.resolve("transit:transit/paused",
                KeySources.Options.defaults().withEnv(env).withClock(clock)), clock);
        TokenMinter minter = new TokenMinter(ring, Clock.systemUTC());
        minter.mint(build, policy(SigningAlgorithm.ES256));
        String published = ring.get().publicJwksJson();

        bao.pause();
        try {
            long started = System.nanoTime();
            assertThatThrownBy(() -> minter.mint(build, policy(SigningAlgorithm.ES256)))
                    .isInstanceOfSatisfying(CiJwtException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.KEY_SERVICE_FAILED);
                        assertThat(e.getMessage()).contains("Vault at " + bao.address(), "transit/paused", "no answer")
                                .doesNotContain("\n");
                    });
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            // The deadline is 2 s; the rest is room for a busy machine's thread scheduling, not for retries.
            assertThat(took).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(4));

            clock.shift(Duration.ofSeconds(2));
            assertThat(ring.refresh()).isFalse();
            assertThat(ring.lastError()).startsWith("CJ209 Vault at " + bao.address());
            assertThat(ring.get().publicJwksJson()).isEqualTo(published);
        } finally {
            bao.resume();
        }

        assertThat(verify(ring.get(), minter.mint(build, policy(SigningAlgorithm.ES256)).compact()).active()).isTrue();
        clock.shift(Duration.ofSeconds(10));
        ring.refresh();
        assertThat(ring.lastError()).isNull();
    }

    static void waitFor(java.util.function.BooleanSupplier condition, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("condition not met within " + max);
            }
            Thread.sleep(50);
        }
    }
}
