package org.cijwt.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.cijwt.errors.CiJwtException;
import org.cijwt.fixtures.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildMetadataTest {

    @Test
    void fromJsonWhenSampleBuildThenEveryFieldIsRead() throws Exception {
        BuildMetadata md = BuildMetadata.fromJson(TestKeys.metadata("main"), "main.json");
        assertThat(md.team()).isEqualTo("main");
        assertThat(md.teamId()).isEqualTo("1");
        assertThat(md.pipeline()).isEqualTo("deploy");
        assertThat(md.pipelineId()).isEqualTo("7");
        assertThat(md.instanceVars()).isEqualTo(Map.of("branch", "dev"));
        assertThat(md.job()).isEqualTo("apply");
        assertThat(md.jobId()).isEqualTo("42");
        assertThat(md.buildId()).isEqualTo("1234");
        assertThat(md.buildName()).isEqualTo("17");
        assertThat(md.task()).isEqualTo("plan");
        assertThat(md.stepType()).isEqualTo("task");
        assertThat(md.worker()).isEqualTo("worker-1");
    }

    @Test
    void fromJsonWhenUnknownKeyThenErrorNamesTheKeyAndTheInput() {
        assertThatThrownBy(() -> BuildMetadata.fromJson(TestKeys.metadata("unknown-key"), "metadata file x.json"))
                .isInstanceOf(CiJwtException.class)
                .hasMessageContaining("metadata file x.json")
                .hasMessageContaining("unknown key 'colour'");
    }

    @Test
    void fromJsonWhenIdsAreNumbersThenTheyBecomeStrings() throws Exception {
        BuildMetadata md = BuildMetadata.fromJson("{\"team\":\"t\",\"teamid\":3,\"buildid\":99}", "m");
        assertThat(md.teamId()).isEqualTo("3");
        assertThat(md.buildId()).isEqualTo("99");
    }

    @Test
    void fromJsonWhenTeamMissingThenErrorNamesTeam() {
        assertThatThrownBy(() -> BuildMetadata.fromJson("{\"buildid\":\"1\"}", "m.json"))
                .hasMessage("m.json: 'team' is required");
    }

    @Test
    void fromJsonWhenValueIsAnObjectThenErrorNamesTheKey() {
        assertThatThrownBy(() -> BuildMetadata.fromJson("{\"team\":{\"a\":1},\"buildid\":\"1\"}", "m.json"))
                .hasMessageContaining("'team' must be a string");
    }

    @Test
    void fromJsonFileWhenNotJsonThenOneLineWithTheFile(@TempDir Path dir) {
        Path f = TestKeys.write(dir.resolve("bad.json"), "{ team: ", "rw-r--r--");
        assertThatThrownBy(() -> BuildMetadata.fromJsonFile(f))
                .hasMessageStartingWith("metadata file " + f + " is not valid JSON")
                .hasMessageNotContaining("\n");
    }

    @Test
    void fromJsonFileWhenMissingThenErrorSaysSo(@TempDir Path dir) {
        assertThatThrownBy(() -> BuildMetadata.fromJsonFile(dir.resolve("nope.json")))
                .hasMessageEndingWith("nope.json does not exist");
    }
}
