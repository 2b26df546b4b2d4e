package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.cijwt.keys.KeySources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm-up at start (issue 22) runs its creates and deletes through a throw-away agent and
 * leaves nothing of them: no directory, token, record or container of the real agent.
 */
class AgentWarmUpIT {

    @Test
    void runWithAWarmUpThenTheRealAgentStartsEmptyAndTheWarmUpLeavesNothing(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("agent");
        AgentSettings settings = new AgentSettings(AgentConfig.defaults("https://ci.example.test"), dir.resolve("run/agent.sock"),
                state, KeySources.resolve(KeySources.EPHEMERAL, KeySources.Options.defaults()), null, new AnnotationIdentity(), 5);

        try (AgentProcess agent = Agent.run(settings)) {
            assertThat(agent.describe()).contains("0 container(s) adopted").contains("warmed up with 5 create/delete pairs");
            assertThat(state.resolve("warm-up")).doesNotExist();
            assertThat(entries(state.resolve("tokens"))).isZero();
            assertThat(entries(state.resolve("deliveries"))).isZero();
            assertThat(entries(state.resolve("containers"))).isZero();
        }
    }

    private static long entries(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }
}
