package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cijwt.cli.CliRun.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.cijwt.config.Durations;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.keys.EmbeddedKeyStore;
import org.cijwt.keys.KeySettings;
import org.cijwt.keys.RotationPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key options every signing verb shares, above all "--rotation-period 0 turns rotation off". */
class KeyOptionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path keys;
    private Path metadata;

    @BeforeEach
    void storeWithAKeyThatHasSignedForThirtyDays() throws Exception {
        keys = dir.resolve("keys");
        metadata = TestKeys.metadataFile("main", dir);
        CliRun first = run("mint", "--metadata", metadata.toString(), "--keys", keys.toString(), "--rotation-period", "0");
        assertThat(first.exit()).as(first.err()).isZero();
        Path file = keys.resolve(EmbeddedKeyStore.KEYS_FILE);
        JsonNode store = JSON.readTree(file.toFile());
        assertThat(store.get("keys")).hasSize(1);
        ((ObjectNode) store.get("keys").get(0)).put("nbf", Instant.now().minus(Duration.ofDays(30)).getEpochSecond());
        Files.writeString(file, JSON.writeValueAsString(store));
    }

    @Test
    void mintWhenRotationPeriodIsZeroThenItWorksAndAnOldKeyKeepsSigningWithNoSuccessor() throws Exception {
        CliRun r = run("mint", "--metadata", metadata.toString(), "--keys", keys.toString(), "--rotation-period", "0");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip()).matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+");
        JsonNode stored = JSON.readTree(keys.resolve(EmbeddedKeyStore.KEYS_FILE).toFile()).get("keys");
        assertThat(stored).hasSize(1);
        assertThat(stored.get(0).has("exp")).as("never scheduled to retire").isFalse();
    }

    @Test
    void mintWhenRotationIsOnThenTheSameOldKeyGetsASuccessor() throws Exception {
        CliRun r = run("mint", "--metadata", metadata.toString(), "--keys", keys.toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(JSON.readTree(keys.resolve(EmbeddedKeyStore.KEYS_FILE).toFile()).get("keys")).hasSize(2);
    }

    @Test
    void mintWhenRotationPeriodIsZeroThenTheGraceIsNotHeldToTheTokenLifetime() {
        CliRun off = run("mint", "--metadata", metadata.toString(), "--keys", keys.toString(),
                "--rotation-period", "0", "--rotation-grace", "1m");
        CliRun on = run("mint", "--metadata", metadata.toString(), "--keys", keys.toString(), "--rotation-grace", "1m");

        assertThat(off.exit()).as(off.err()).isZero();
        assertThat(on.exit()).isEqualTo(1);
        assertThat(on.err().strip()).startsWith("ci-jwt: CJ205 rotation grace period 1m is shorter than the longest token lifetime");
    }

    @Test
    void mintWhenRotationPeriodIsNotADurationThenUsageErrorNamingTheGrammar() {
        CliRun r = run("mint", "--metadata", metadata.toString(), "--keys", keys.toString(), "--rotation-period", "7D");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--rotation-period").contains("units are lower case");
    }

    @Test
    void defaultsWhenParsedThenTheyAreTheRotationPolicyDefaults() throws Exception {
        assertThat(Durations.parse(KeySettings.ROTATION_PERIOD_DEFAULT)).isEqualTo(RotationPolicy.DEFAULT_PERIOD);
        assertThat(Durations.parse(KeySettings.ROTATION_GRACE_DEFAULT)).isEqualTo(RotationPolicy.DEFAULT_GRACE);
    }
}
