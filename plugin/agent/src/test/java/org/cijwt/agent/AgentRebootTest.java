package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.testkit.TestKeyRings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A container recorded before the machine last booted is gone, whatever process its pid file names
 * now: with the state directory and the bundle on a disk, a reboot hands process ids out again, and
 * the container's old init pid may be some other live process by the time the agent starts.
 */
class AgentRebootTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Process reusedPid;

    @BeforeEach
    void startAProcessThatHoldsTheOldInitPid() throws Exception {
        // Stands for whatever process got the container's old pid after the reboot.
        reusedPid = new ProcessBuilder("sleep", "300").start();
    }

    @AfterEach
    void stopIt() throws Exception {
        reusedPid.destroyForcibly();
        reusedPid.waitFor(10, TimeUnit.SECONDS);
    }

    private Agent agent(Path state) throws Exception {
        AgentConfig config = TestAgentConfigs.vaultJwt();
        return Agent.builder(TestKeyRings::signing, config, state).scheduler(new HandScheduler(System::nanoTime)).start();
    }

    /** Creates c1 in a bundle whose pid file names the live process, then stops the agent as a crash or a reboot would leave it. */
    private Path createC1(Path state) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\","
                + "\"user\":{\"uid\":0,\"gid\":0}},\"root\":{\"path\":\"rootfs\"}}");
        Files.writeString(bundle.resolve("init.pid"), Long.toString(reusedPid.pid()));
        try (Agent agent = agent(state)) {
            agent.create(new ContainerService.CreateRequest("c1", bundle,
                    Optional.of(JSON.readTree(TestKeys.metadata("main"))), Optional.empty()));
        }
        assertThat(bundle.resolve("config.json")).content().as("patched with the token mount").contains("concourse-ci");
        Path record = state.resolve("containers/c1.json");
        assertThat(JSON.readTree(record.toFile()).path("boot_id").asText()).as("the boot it was created in")
                .isEqualTo(ContainerRecords.BOOT_ID).isNotEmpty();
        return record;
    }

    @Test
    void agentWhenRestartedAfterARebootThenAContainerOfTheEarlierBootIsCleanedUpThoughItsPidIsAlive() throws Exception {
        Path state = dir.resolve("state");
        Path record = createC1(state);
        ObjectNode earlier = (ObjectNode) JSON.readTree(record.toFile());
        earlier.put("boot_id", "00000000-0000-4000-8000-000000000000");
        Files.writeString(record, earlier.toString());

        try (Agent agent = agent(state)) {
            assertThat(state.resolve("tokens/c1")).as("its token directory").doesNotExist();
            assertThat(record).as("its record").doesNotExist();
            assertThat(dir.resolve("bundle/config.json")).content().as("config.json reverted").doesNotContain("concourse-ci");
        }
        assertThat(reusedPid.isAlive()).as("the process that holds the pid is left alone").isTrue();
    }

    @Test
    void agentWhenRestartedInTheSameBootThenALiveContainerIsAdopted() throws Exception {
        Path state = dir.resolve("state");
        Path record = createC1(state);

        try (Agent agent = agent(state)) {
            assertThat(state.resolve("tokens/c1/jwt")).as("its token, written again").isNotEmptyFile();
            assertThat(record).exists();
        }
    }

    @Test
    void agentWhenARecordKeepsNoBootThenThePidDecidesAsBefore() throws Exception {
        Path state = dir.resolve("state");
        Path record = createC1(state);
        ObjectNode older = (ObjectNode) JSON.readTree(record.toFile());
        older.remove("boot_id");
        Files.writeString(record, older.toString());

        try (Agent agent = agent(state)) {
            assertThat(state.resolve("tokens/c1/jwt")).as("adopted: its pid is alive").isNotEmptyFile();
        }
    }
}
