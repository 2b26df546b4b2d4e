package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.testkit.TestKeyRings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's refresh histogram ({@code cijwt_agent_refresh_seconds}) measures a refresh's own work. */
class AgentRefreshMetricTest {
    @TempDir
    Path dir;

    @Test
    void refreshWhenItRunsThenTheHistogramRecordsTheRefreshNotTheTimeSinceTheLastOne() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        HandScheduler scheduler = new HandScheduler(clock);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\","
                + "\"user\":{\"uid\":0,\"gid\":0}},\"root\":{\"path\":\"rootfs\"}}");
        try (Agent agent = Agent.builder(TestKeyRings::signing, AgentConfig.defaults("https://ci.example.test"), dir.resolve("state"))
                // Time passes on both clocks here: the monotonic one follows the test's wall clock.
                .clock(clock).monotonic(() -> clock.instant().getEpochSecond() * 1_000_000_000L + clock.instant().getNano())
                .scheduler(scheduler).registry(registry).start()) {
            agent.create(new ContainerService.CreateRequest("c1", bundle,
                    Optional.of(new ObjectMapper().readTree(TestKeys.metadata("main"))), Optional.empty()));
            // Wall time passes between the create and the refresh, as it does over a token's lifetime.
            Thread.sleep(1000);
            clock.advance(Duration.ofMinutes(55));
            long started = System.nanoTime();
            scheduler.runDue();
            long refreshWall = System.nanoTime() - started;

            Timer refresh = registry.find(AgentMetrics.REFRESH).timer();
            assertThat(refresh.count()).isEqualTo(1);
            assertThat((long) refresh.totalTime(TimeUnit.NANOSECONDS)).isPositive().isLessThanOrEqualTo(refreshWall);
        }
    }
}
