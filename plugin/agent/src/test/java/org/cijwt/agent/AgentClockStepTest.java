package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.testkit.TestKeyRings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step of the wall clock (issue 22): the agent tells it from the monotonic clock at its 10 s
 * check and mints every live token again, rather than leaving a token dated by the wrong clock
 * until its planned refresh, up to 48 minutes later for a 1 h token.
 */
class AgentClockStepTest {
    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));
    private final AtomicLong monotonic = new AtomicLong(1_000_000_000L);
    private final HandScheduler scheduler = new HandScheduler(monotonic::get);

    /** Both clocks move on by {@code d}, as they do while the wall clock is right. */
    private void elapse(Duration d) {
        clock.advance(d);
        monotonic.addAndGet(d.toNanos());
    }

    @Test
    void checkWhenTheWallClockStepsThenEveryTokenIsMintedAgainAndNotOtherwise() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\","
                + "\"user\":{\"uid\":0,\"gid\":0}},\"root\":{\"path\":\"rootfs\"}}");
        Path token = dir.resolve("state/tokens/c1/jwt");
        try (Agent agent = Agent.builder(TestKeyRings::signing, AgentConfig.defaults("https://ci.example.test"), dir.resolve("state"))
                .clock(clock).monotonic(monotonic::get).scheduler(scheduler).start()) {
            agent.create(new ContainerService.CreateRequest("c1", bundle,
                    Optional.of(new ObjectMapper().readTree(TestKeys.metadata("main"))), Optional.empty()));
            long minted = iat(token);

            elapse(Agent.REAP_INTERVAL);
            scheduler.runDue();
            scheduler.runDue();
            assertThat(iat(token)).as("no step: the token stays until its planned refresh").isEqualTo(minted);

            // The wall clock jumps 2 h ahead between two checks, the monotonic clock does not.
            elapse(Agent.REAP_INTERVAL);
            clock.advance(Duration.ofHours(2));
            scheduler.runDue();
            scheduler.runDue();
            assertThat(iat(token)).as("stepped forward: minted again by the clock as it is now")
                    .isEqualTo(clock.instant().getEpochSecond());

            // And back 3 h: minted again once more.
            elapse(Agent.REAP_INTERVAL);
            clock.advance(Duration.ofHours(-3));
            scheduler.runDue();
            scheduler.runDue();
            assertThat(iat(token)).as("stepped back").isEqualTo(clock.instant().getEpochSecond());
        }
    }

    private static long iat(Path token) throws Exception {
        String[] parts = Files.readString(token, StandardCharsets.US_ASCII).trim().split("\\.");
        byte[] claims = Base64.getUrlDecoder().decode(parts[1]);
        return new ObjectMapper().readTree(claims).get("iat").asLong();
    }
}
