package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySources;
import org.cijwt.tokens.MintedToken;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenRefresherTest {

    private static final Instant START = Instant.parse("2026-11-02T10:00:00Z");

    @TempDir
    Path temp;

    private final MutableClock clock = new MutableClock(START);
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private final List<String> events = new ArrayList<>();
    private final TokenRefresher.Listener listener = new TokenRefresher.Listener() {
        @Override
        public void refreshed(String name, MintedToken token) {
            events.add("refreshed " + name + " at " + token.issuedAt());
        }

        @Override
        public void failed(String name, String reason, Duration retryIn) {
            events.add("failed " + name + ": " + reason + ", retry in " + retryIn.toSeconds() + "s");
        }
    };

    private KeyRing ring;
    private BuildMetadata metadata;
    private TokenProfile config;
    private TokenDelivery preflight;
    private TokenDelivery.Delivery delivery;

    @BeforeEach
    void setUp() throws Exception {
        ring = KeySources.resolve(TestKeys.copyPrivate(TestKeys.P256, temp).toString(), KeySources.Options.defaults()).load();
        metadata = BuildMetadata.fromJsonFile(TestKeys.metadataFile("main", temp));
        config = TokenProfile.parse("""
                tokens:
                  - {name: jwt, audiences: [vault], ttl: 1h}
                  - {name: short, audiences: [other], ttl: 1m}
                """, "test");
        preflight = new TokenDelivery(() -> ring, clock, DeliveryRecords.open(temp.resolve("state")));
        delivery = preflight.prepare(metadata, config, temp.resolve("tokens"));
    }

    private TokenRefresher started() {
        TokenRefresher refresher = preflight.refresher(delivery, config, scheduler, listener);
        refresher.start(delivery.tokens());
        return refresher;
    }

    private String file(String name) throws Exception {
        return Files.readString(delivery.directory().file(name));
    }

    @Test
    void refreshAtIsEightyPercentOfTheLifetime() {
        MintedToken hour = delivery.tokens().get("jwt");
        MintedToken minute = delivery.tokens().get("short");

        assertThat(TokenRefresher.refreshAt(hour)).isEqualTo(START.plus(Duration.ofMinutes(48)));
        assertThat(TokenRefresher.refreshAt(minute)).isEqualTo(START.plus(Duration.ofSeconds(48)));
    }

    @Test
    void startThenEachTokenIsPlannedAtItsOwnRefreshTime() {
        TokenRefresher refresher = started();

        assertThat(refresher.nextRefresh("jwt")).contains(START.plus(Duration.ofMinutes(48)));
        assertThat(refresher.nextRefresh("short")).contains(START.plus(Duration.ofSeconds(48)));
        assertThat(scheduler.pending()).isEqualTo(2);
    }

    @Test
    void beforeEightyPercentThenTheFileIsUnchanged() throws Exception {
        String first = file("short");
        started();

        scheduler.advance(Duration.ofSeconds(47));

        assertThat(file("short")).isEqualTo(first);
        assertThat(events).isEmpty();
    }

    @Test
    void atEightyPercentThenTheFileHoldsANewTokenAndTheNextRefreshIsPlanned() throws Exception {
        String first = file("short");
        TokenRefresher refresher = started();

        scheduler.advance(Duration.ofSeconds(48));

        assertThat(file("short")).isNotEqualTo(first);
        MintedToken now = refresher.current().get("short");
        assertThat(file("short")).isEqualTo(now.compact());
        assertThat(now.issuedAt()).isEqualTo(START.plusSeconds(48));
        assertThat(now.expiresAt()).isEqualTo(START.plusSeconds(108));
        assertThat(refresher.nextRefresh("short")).contains(START.plusSeconds(96));
        assertThat(file("jwt")).isEqualTo(delivery.tokens().get("jwt").compact());
        assertThat(events).containsExactly("refreshed short at " + START.plusSeconds(48));
        assertThat(Files.getPosixFilePermissions(delivery.directory().file("short"))).isEqualTo(TokenDirectory.FILE_MODE);
    }

    @Test
    void overAnHourThenTheShortTokenIsRefreshedEveryFortyEightSecondsAndTheLongOneOnce() {
        started();

        // Steps of 6 s divide 48 s, so every refresh runs exactly on time.
        for (int i = 0; i < 600; i++) {
            scheduler.advance(Duration.ofSeconds(6));
        }

        assertThat(events).filteredOn(e -> e.startsWith("refreshed short")).hasSize(75);
        assertThat(events).filteredOn(e -> e.startsWith("refreshed jwt")).containsExactly(
                "refreshed jwt at " + START.plus(Duration.ofMinutes(48)));
    }

    @Test
    void whenMintingFailsThenTheFileIsKeptAndItIsRetriedAfterTheRetryDelay() throws Exception {
        AtomicBoolean broken = new AtomicBoolean(true);
        TokenRefresher refresher = new TokenRefresher(delivery.directory(), name -> {
            if (broken.get()) {
                throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "key store is locked");
            }
            return preflight.mint(metadata, config.token(name).orElseThrow());
        }, clock, scheduler, listener);
        refresher.start(Map.of("short", delivery.tokens().get("short")));
        String first = file("short");

        scheduler.advance(Duration.ofSeconds(48));

        assertThat(file("short")).isEqualTo(first);
        assertThat(events).containsExactly("failed short: CJ201 key store is locked, retry in 10s");
        assertThat(refresher.nextRefresh("short")).contains(START.plusSeconds(58));

        broken.set(false);
        scheduler.advance(TokenRefresher.RETRY_DELAY);

        assertThat(file("short")).isNotEqualTo(first);
        assertThat(events).last().isEqualTo("refreshed short at " + START.plusSeconds(58));
    }

    @Test
    void whenMintingKeepsFailingThenTheRetriesBackOffUpToTheMaximumAndResetAfterASuccess() throws Exception {
        AtomicBoolean broken = new AtomicBoolean(true);
        TokenRefresher refresher = new TokenRefresher(delivery.directory(), name -> {
            if (broken.get()) {
                throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "Vault at http://127.0.0.1:8200 did not answer");
            }
            return preflight.mint(metadata, config.token(name).orElseThrow());
        }, clock, scheduler, listener);
        refresher.start(Map.of("short", delivery.tokens().get("short")));

        scheduler.advance(Duration.ofSeconds(48));
        for (long seconds : new long[] {10, 20, 40, 80, 120}) {
            scheduler.advance(Duration.ofSeconds(seconds));
        }

        assertThat(events).extracting(e -> e.replaceAll(".*retry in ", "")).containsExactly("10s", "20s", "40s", "80s", "120s", "120s");
        broken.set(false);
        scheduler.advance(TokenRefresher.MAX_RETRY_DELAY);
        assertThat(events).last().asString().startsWith("refreshed short");
    }

    @Test
    void closeThenNothingIsRefreshedAnyMoreAndTheSchedulerIsClosed() throws Exception {
        TokenRefresher refresher = started();
        String first = file("short");

        refresher.close();
        scheduler.advance(Duration.ofHours(2));

        assertThat(file("short")).isEqualTo(first);
        assertThat(events).isEmpty();
        assertThat(scheduler.pending()).isZero();
        assertThat(scheduler.isClosed()).isTrue();
        assertThat(refresher.isClosed()).isTrue();
        assertThat(refresher.nextRefresh("short")).isEmpty();
        refresher.close();
    }

    @Test
    void startTwiceOrAfterCloseIsRefused() {
        TokenRefresher refresher = started();

        assertThatThrownBy(() -> refresher.start(delivery.tokens())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already started");
        refresher.close();
        assertThatThrownBy(() -> refresher.start(delivery.tokens())).hasMessageContaining("closed");
    }

    @Test
    void toStringNamesTheTokensButNeverContainsOne() {
        TokenRefresher refresher = started();

        assertThat(refresher.toString()).contains("jwt", "short");
        delivery.tokens().values().forEach(t -> assertThat(refresher.toString()).doesNotContain(t.compact()));
    }

    @Test
    void withTheRealSchedulerATokenPastEightyPercentIsReplacedWithinSeconds() throws Exception {
        // Issued 47.8 s ago with a 1-minute lifetime: due 0.2 s from now, so the real wait is tiny.
        Clock past = Clock.offset(Clock.systemUTC(), Duration.ofMillis(-47_800));
        TokenDelivery old = new TokenDelivery(() -> ring, past, preflight.records());
        TokenDelivery.Delivery oldDelivery = old.prepare(metadata, config, temp.resolve("real"));
        String first = Files.readString(oldDelivery.directory().file("short"));
        List<String> refreshed = java.util.Collections.synchronizedList(new ArrayList<>());
        TokenDelivery current = new TokenDelivery(() -> ring, Clock.systemUTC(), preflight.records());

        try (TokenRefresher refresher = current.refresher(oldDelivery, config, RefreshScheduler.daemonThread(),
                new TokenRefresher.Listener() {
                    @Override
                    public void refreshed(String name, MintedToken token) {
                        refreshed.add(name);
                    }

                    @Override
                    public void failed(String name, String reason, Duration retryIn) {
                        refreshed.add("failed " + reason);
                    }
                })) {
            refresher.start(Map.of("short", oldDelivery.tokens().get("short")));
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (refreshed.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }

        assertThat(refreshed).containsExactly("short");
        assertThat(Files.readString(oldDelivery.directory().file("short"))).isNotEqualTo(first);
    }
}
