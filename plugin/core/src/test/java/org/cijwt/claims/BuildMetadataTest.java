package org.cijwt.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
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
                .hasMessageContaining("unknown key 'colour'")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.METADATA_INVALID));
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
                .hasMessage("m.json: 'team' is required")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.METADATA_INVALID));
    }

    @Test
    void fromJsonWhenValueIsAnObjectThenErrorNamesTheKey() {
        assertThatThrownBy(() -> BuildMetadata.fromJson("{\"team\":{\"a\":1},\"buildid\":\"1\"}", "m.json"))
                .hasMessageContaining("'team' must be a string")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.METADATA_INVALID));
    }

    @Test
    void fromJsonFileWhenNotJsonThenOneLineWithTheFile(@TempDir Path dir) {
        Path f = TestKeys.write(dir.resolve("bad.json"), "{ team: ", "rw-r--r--");
        assertThatThrownBy(() -> BuildMetadata.fromJsonFile(f))
                .hasMessageStartingWith("metadata file " + f + " is not valid JSON")
                .hasMessageNotContaining("\n")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.METADATA_INVALID));
    }

    @Test
    void fromJsonFileWhenMissingThenErrorSaysSo(@TempDir Path dir) {
        assertThatThrownBy(() -> BuildMetadata.fromJsonFile(dir.resolve("nope.json")))
                .hasMessageEndingWith("nope.json does not exist")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.METADATA_INVALID));
    }

    @Test
    void fromJsonWhenAKeyAppearsTwiceThenRefusedNamingTheKey() {
        // The last value used to win silently, so a pipeline could pass as another team.
        assertThatThrownBy(() -> BuildMetadata.fromJson("{\"team\":\"main\",\"team\":\"victim\",\"buildid\":\"1\"}", "m.json"))
                .hasMessageStartingWith("m.json has the key 'team' twice")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.METADATA_INVALID));
        assertThatThrownBy(() -> BuildMetadata.fromJson(
                "{\"team\":\"main\",\"buildid\":\"1\",\"instance_vars\":{\"branch\":\"dev\",\"branch\":\"prod\"}}", "m.json"))
                .hasMessageContaining("'branch' twice")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.METADATA_INVALID));
    }

    @Test
    void fromJsonWhenInstanceVarsAreTypedThenTheyKeepTheirJsonTypes() throws Exception {
        BuildMetadata md = BuildMetadata.fromJson("{\"team\":\"t\",\"buildid\":\"1\",\"instance_vars\":"
                + "{\"n\":1,\"s\":\"1\",\"f\":1.5,\"whole\":2.0,\"b\":true,\"z\":null,\"o\":{\"y\":1,\"x\":[1,\"1\"]}}}", "m.json");
        assertThat(md.instanceVars()).containsEntry("n", 1L).containsEntry("s", "1").containsEntry("f", 1.5)
                .containsEntry("whole", 2L).containsEntry("b", true).containsEntry("z", null)
                .containsEntry("o", Map.of("x", List.of(1L, "1"), "y", 1L));
        assertThat(md.instanceVars().keySet()).containsExactly("b", "f", "n", "o", "s", "whole", "z");
    }

    @Test
    void fromJsonWhenAnInstanceVarNumberCannotBeKeptExactlyThenRefusedNamingIt() {
        // As an RFC 8785 number it would read 12345678901234567000, the same as another build's.
        assertThatThrownBy(() -> BuildMetadata.fromJson(
                "{\"team\":\"t\",\"buildid\":\"1\",\"instance_vars\":{\"id\":12345678901234567890}}", "m.json"))
                .hasMessage("m.json: instance_vars.id is the number 12345678901234567890, which canonical JSON (RFC 8785)"
                        + " cannot keep exactly; quote it as a string")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.METADATA_INVALID));
        assertThatThrownBy(() -> BuildMetadata.fromJson(
                "{\"team\":\"t\",\"buildid\":\"1\",\"instance_vars\":{\"x\":0.10000000000000000001}}", "m.json"))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.METADATA_INVALID));
    }

    @Test
    void buildWhenALibraryCallerPutsANonJsonValueInInstanceVarsThenRefused() {
        assertThatThrownBy(() -> BuildMetadata.builder().team("t").buildId("1").instanceVars(Map.of("p", Path.of("/x"))).build())
                .hasMessageContaining("instance_vars.p is a")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.METADATA_INVALID));
    }

    private static ErrorCode code(Throwable e) {
        assertThat(e).isInstanceOf(CiJwtException.class);
        return ((CiJwtException) e).code();
    }
}
