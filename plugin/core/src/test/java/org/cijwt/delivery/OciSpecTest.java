package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OciSpecTest {

    private static final String TOKEN = "test-token-not-a-secret";
    private static final Path TOKEN_DIR = Path.of("/run/cijwt/c1");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Shaped like runc spec output, plus fields a runtime may add that this code never heard of. */
    private static final String TASK_SPEC = """
            {
              "ociVersion": "1.0.2-dev",
              "process": {
                "terminal": false,
                "user": {"uid": 0, "gid": 0},
                "args": ["sh", "-c", "echo hi"],
                "env": ["PATH=/usr/bin:/bin", "HOME=/root"],
                "cwd": "/"
              },
              "root": {"path": "rootfs", "readonly": true},
              "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/var/run", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}
              ],
              "annotations": {"io.concourse.handle": "abc"},
              "linux": {"resources": {"memory": {"limit": 18446744073709551615}, "cpu": {"shares": 1024}}},
              "x-vendor": {"ratio": 0.1000000000000000055511151231257827, "list": [1, null, true]}
            }
            """;

    @TempDir
    Path temp;

    private static DeliveryPlan plan() {
        return DeliveryPlan.mountOnly(TOKEN_DIR)
                .withVariable("CONCOURSE_CI_JWT", TOKEN)
                .withVariable("CONCOURSE_CI_JWT_FILE", "/var/run/secrets/concourse-ci/jwt");
    }

    private static List<String> env(OciSpec spec) {
        List<String> env = new ArrayList<>();
        spec.json().path("process").path("env").forEach(e -> env.add(e.asText()));
        return env;
    }

    @Test
    void applyWhenTaskSpecIsPlainThenAddsVariablesAndReadOnlyMountAtTheEnd() throws DeliveryException {
        OciSpec.Applied applied = OciSpec.parse(TASK_SPEC).apply(plan());

        assertThat(applied.warnings()).isEmpty();
        assertThat(env(applied.spec())).containsExactly("PATH=/usr/bin:/bin", "HOME=/root",
                "CONCOURSE_CI_JWT=" + TOKEN, "CONCOURSE_CI_JWT_FILE=/var/run/secrets/concourse-ci/jwt");
        JsonNode mounts = applied.spec().json().get("mounts");
        assertThat(mounts).hasSize(3);
        assertThat(mounts.get(2).toString()).isEqualTo("{\"destination\":\"/var/run/secrets/concourse-ci\","
                + "\"type\":\"bind\",\"source\":\"/run/cijwt/c1\","
                + "\"options\":[\"rbind\",\"ro\",\"nosuid\",\"nodev\",\"noexec\"]}");
        assertThat(applied.patch().variables()).extracting(SpecPatch.AddedVariable::name)
                .containsExactly("CONCOURSE_CI_JWT", "CONCOURSE_CI_JWT_FILE");
        assertThat(applied.patch().mount()).isEqualTo(new SpecPatch.TokenMount(DeliveryPlan.CONTAINER_TOKEN_DIR,
                "/run/cijwt/c1", DeliveryPlan.MOUNT_OPTIONS));
        assertThat(applied.patch().created()).isEmpty();
    }

    @Test
    void applyThenEveryUntouchedFieldIsKeptExactly() throws Exception {
        OciSpec applied = OciSpec.parse(TASK_SPEC).apply(plan()).spec();
        JsonNode before = JSON.readTree(TASK_SPEC);
        JsonNode after = JSON.readTree(applied.toJson());

        for (String field : List.of("ociVersion", "root", "linux")) {
            assertThat(after.get(field)).as(field).isEqualTo(before.get(field));
        }
        assertThat(applied.toJson()).contains("18446744073709551615")
                .contains("0.1000000000000000055511151231257827")
                .contains("\"io.concourse.handle\" : \"abc\"");
        assertThat(after.get("x-vendor").get("list").toString()).isEqualTo("[1,null,true]");
    }

    @Test
    void applyWhenTaskSetsVariableThenTaskValueWinsWithWarning() throws DeliveryException {
        String spec = TASK_SPEC.replace("\"HOME=/root\"", "\"CONCOURSE_CI_JWT_FILE=/mine/token\"");

        OciSpec.Applied applied = OciSpec.parse(spec).apply(plan());

        assertThat(env(applied.spec())).containsExactly("PATH=/usr/bin:/bin", "CONCOURSE_CI_JWT_FILE=/mine/token",
                "CONCOURSE_CI_JWT=" + TOKEN);
        assertThat(applied.warnings()).singleElement().satisfies(w -> {
            assertThat(w.variable()).isEqualTo("CONCOURSE_CI_JWT_FILE");
            assertThat(w.message()).contains("CONCOURSE_CI_JWT_FILE").doesNotContain(TOKEN);
        });
    }

    @Test
    void applyWhenTaskSetsTheTokenVariableThenWarningNamesItWithoutAnyValue() throws DeliveryException {
        String spec = TASK_SPEC.replace("\"HOME=/root\"", "\"CONCOURSE_CI_JWT=task-own-value\"");

        OciSpec.Applied applied = OciSpec.parse(spec).apply(plan());

        assertThat(env(applied.spec())).contains("CONCOURSE_CI_JWT=task-own-value")
                .doesNotContain("CONCOURSE_CI_JWT=" + TOKEN);
        assertThat(applied.warnings()).singleElement().satisfies(w -> {
            assertThat(w.variable()).isEqualTo("CONCOURSE_CI_JWT");
            assertThat(w.message()).doesNotContain("task-own-value").doesNotContain(TOKEN);
        });
    }

    @Test
    void applyWhenTaskMountsInsideReservedPathThenRefusesNamingBothMounts() {
        String spec = TASK_SPEC.replace("{\"destination\": \"/proc\"",
                "{\"destination\": \"/var/run/secrets/concourse-ci/jwt\", \"type\": \"bind\", \"source\": \"/host/x\"},"
                        + " {\"destination\": \"/proc\"");

        assertThatThrownBy(() -> OciSpec.parse(spec).apply(plan()))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.MOUNT_CONFLICT))
                .hasMessage("config.json mounts /host/x at /var/run/secrets/concourse-ci/jwt, which is inside the"
                        + " reserved token path /var/run/secrets/concourse-ci where ci-jwt mounts /run/cijwt/c1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/var/run/secrets/concourse-ci", "/var/run/secrets/concourse-ci/",
        "//var/run/secrets//concourse-ci", "/var/run/secrets/../secrets/concourse-ci/./aws",
        "var/run/secrets/concourse-ci/deep/er"})
    void applyWhenTaskMountIsAtOrUnderReservedPathInAnySpellingThenRefuses(String destination) {
        String spec = TASK_SPEC.replace("{\"destination\": \"/proc\"",
                "{\"destination\": \"" + destination + "\", \"type\": \"tmpfs\"}, {\"destination\": \"/proc\"");

        assertThatThrownBy(() -> OciSpec.parse(spec).apply(plan()))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.MOUNT_CONFLICT))
                .hasMessageStartingWith("config.json mounts a tmpfs at " + destination + ", which is ")
                .hasMessageContaining("the reserved token path /var/run/secrets/concourse-ci");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/var/run/secrets/concourse-ci-other", "/var/run/secrets", "/var/run/secrets/concourse"})
    void applyWhenTaskMountIsBesideOrAboveReservedPathThenOursIsAddedAfterIt(String destination)
            throws DeliveryException {
        String spec = TASK_SPEC.replace("{\"destination\": \"/proc\"",
                "{\"destination\": \"" + destination + "\", \"type\": \"tmpfs\"}, {\"destination\": \"/proc\"");

        JsonNode mounts = OciSpec.parse(spec).apply(plan()).spec().json().get("mounts");

        assertThat(mounts.get(mounts.size() - 1).get("destination").asText())
                .isEqualTo(DeliveryPlan.CONTAINER_TOKEN_DIR);
    }

    @Test
    void revertWhenAppliedThenSpecEqualsTheOriginal() throws DeliveryException {
        OciSpec original = OciSpec.parse(TASK_SPEC);

        OciSpec.Applied applied = original.apply(plan());
        OciSpec reverted = applied.spec().revert(applied.patch()).spec();

        assertThat(reverted.json()).isEqualTo(original.json());
        assertThat(reverted.mountsTheTokenPath()).isFalse();
    }

    @Test
    void revertWhenSpecHadNoEnvMountsOrAnnotationsThenRemovesTheContainersItCreated() throws DeliveryException {
        OciSpec bare = OciSpec.parse("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"true\"]}}");

        OciSpec.Applied result = bare.apply(plan());
        OciSpec applied = result.spec();
        OciSpec reverted = applied.revert(result.patch()).spec();

        assertThat(applied.json().get("mounts")).hasSize(1);
        // Nothing in the spec says what ci-jwt added any more (the old annotation did): the patch does.
        assertThat(applied.json().has("annotations")).isFalse();
        assertThat(result.patch().created()).containsExactlyInAnyOrder(SpecPatch.CreatedField.PROCESS_ENV,
                SpecPatch.CreatedField.MOUNTS);
        assertThat(reverted.json()).isEqualTo(bare.json());
    }

    @Test
    void revertWhenTaskVariableWonThenTaskVariableStays() throws DeliveryException {
        String spec = TASK_SPEC.replace("\"HOME=/root\"", "\"CONCOURSE_CI_JWT_FILE=/mine/token\"");

        OciSpec.Applied applied = OciSpec.parse(spec).apply(plan());
        OciSpec reverted = applied.spec().revert(applied.patch()).spec();

        assertThat(env(reverted)).containsExactly("PATH=/usr/bin:/bin", "CONCOURSE_CI_JWT_FILE=/mine/token");
    }

    @Test
    void revertWhenSpecWasNeverAppliedThenItIsReturnedUnchanged() throws DeliveryException {
        OciSpec original = OciSpec.parse(TASK_SPEC);
        SpecPatch elsewhere = OciSpec.parse(TASK_SPEC).apply(plan()).patch();

        OciSpec.Reverted reverted = original.revert(elsewhere);

        assertThat(reverted.spec()).isSameAs(original);
        assertThat(reverted.changed()).isFalse();
        assertThat(reverted.notFound()).containsExactly("variable CONCOURSE_CI_JWT", "variable CONCOURSE_CI_JWT_FILE",
                "mount of /run/cijwt/c1 at /var/run/secrets/concourse-ci");
    }

    @Test
    void revertWhenEntriesWereChangedSinceThenOnlyThoseStillAsWrittenAreRemoved() throws Exception {
        OciSpec.Applied applied = OciSpec.parse(TASK_SPEC).apply(plan());
        ObjectNode changed = applied.spec().json();
        ArrayNode env = (ArrayNode) changed.get("process").get("env");
        env.set(2, env.textNode("CONCOURSE_CI_JWT=set-by-someone-else"));
        ((ObjectNode) changed.get("mounts").get(2)).put("source", "/elsewhere");

        OciSpec.Reverted reverted = OciSpec.parse(changed.toString()).revert(applied.patch());

        assertThat(env(reverted.spec())).containsExactly("PATH=/usr/bin:/bin", "HOME=/root",
                "CONCOURSE_CI_JWT=set-by-someone-else");
        assertThat(reverted.spec().json().get("mounts")).hasSize(3);
        assertThat(reverted.removed()).containsExactly("variable CONCOURSE_CI_JWT_FILE");
        assertThat(reverted.notFound()).containsExactly("variable CONCOURSE_CI_JWT",
                "mount of /run/cijwt/c1 at /var/run/secrets/concourse-ci");
    }

    @Test
    void applyWhenAppliedTwiceWithoutRevertingThenItsOwnMountIsAConflict() throws DeliveryException {
        // Changed with M1: the spec no longer says what an earlier delivery added, so apply cannot revert it itself.
        OciSpec once = OciSpec.parse(TASK_SPEC).apply(plan()).spec();

        assertThatThrownBy(() -> once.apply(plan()))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.MOUNT_CONFLICT));
    }

    @Test
    void applyAgainAfterRevertingTheFirstPatchThenOneMountAndNoDuplicateVariables() throws DeliveryException {
        OciSpec.Applied first = OciSpec.parse(TASK_SPEC).apply(plan());
        OciSpec once = first.spec().revert(first.patch()).spec();

        OciSpec.Applied twice = once.apply(plan().withVariable("CONCOURSE_CI_JWT", "newer"));

        assertThat(twice.warnings()).isEmpty();
        assertThat(env(twice.spec())).containsExactly("PATH=/usr/bin:/bin", "HOME=/root",
                "CONCOURSE_CI_JWT=newer", "CONCOURSE_CI_JWT_FILE=/var/run/secrets/concourse-ci/jwt");
        assertThat(twice.spec().json().get("mounts")).hasSize(3);
        assertThat(twice.spec().revert(twice.patch()).spec().json()).isEqualTo(OciSpec.parse(TASK_SPEC).json());
    }

    @Test
    void applyThenThePatchRecordsNamesAndDigestsButNeverTheToken() throws DeliveryException {
        OciSpec.Applied applied = OciSpec.parse(TASK_SPEC).apply(plan());

        SpecPatch.AddedVariable token = applied.patch().variables().get(0);

        assertThat(applied.patch().toString()).contains("CONCOURSE_CI_JWT").contains("/run/cijwt/c1").doesNotContain(TOKEN);
        assertThat(token.sha256()).hasSize(64).doesNotContain(TOKEN);
        assertThat(token.matches("CONCOURSE_CI_JWT=" + TOKEN)).isTrue();
        assertThat(token.matches("CONCOURSE_CI_JWT=" + TOKEN + "x")).isFalse();
        assertThat(applied.spec().json().get("annotations").toString()).isEqualTo("{\"io.concourse.handle\":\"abc\"}");
    }

    @Test
    void applyToBundleThenFileIsReplacedAtomicallyAndReadableByItsOwnerOnly() throws Exception {
        Path config = Files.writeString(temp.resolve("config.json"), TASK_SPEC);
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r-----"));

        OciSpec.Applied applied = OciSpec.applyToBundle(temp, plan());

        assertThat(applied.warnings()).isEmpty();
        assertThat(OciSpec.read(config).mountsTheTokenPath()).isTrue();
        // It now holds the token in process.env.
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
        try (Stream<Path> files = Files.list(temp)) {
            assertThat(files).containsExactly(config);
        }
        assertThat(OciSpec.revertBundle(temp, applied.patch())).isTrue();
        assertThat(OciSpec.revertBundle(temp, applied.patch())).isFalse();
        assertThat(JSON.readTree(config.toFile())).isEqualTo(JSON.readTree(TASK_SPEC));
    }

    @Test
    void applyToBundleWhenRefusedThenConfigIsUntouched() throws IOException {
        String spec = TASK_SPEC.replace("\"/var/run\"", "\"/var/run/secrets/concourse-ci\"");
        Path config = Files.writeString(temp.resolve("config.json"), spec);

        assertThatThrownBy(() -> OciSpec.applyToBundle(temp, plan()))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.MOUNT_CONFLICT));

        assertThat(config).hasContent(spec);
    }

    @Test
    void readWhenBundleHasNoConfigThenErrorNamesThePath() {
        assertThatThrownBy(() -> OciSpec.read(temp.resolve("config.json")))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.BUNDLE_INVALID))
                .hasMessage(temp.resolve("config.json") + " does not exist");
    }

    @Test
    void parseWhenJsonIsBrokenThenErrorGivesPositionButNoContent() {
        String broken = "{\"process\": {\"env\": [\"CONCOURSE_CI_JWT=" + TOKEN + "\" " + TOKEN + "]}}";

        assertThatThrownBy(() -> OciSpec.parse(broken))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.BUNDLE_INVALID))
                .hasMessageStartingWith("config.json is not valid JSON at line 1, column")
                .hasMessageNotContaining(TOKEN)
                .hasNoCause();
    }

    @Test
    void parseWhenKeyIsDuplicatedThenRefuses() {
        assertThatThrownBy(() -> OciSpec.parse("{\"mounts\": [], \"mounts\": []}"))
                .isInstanceOf(DeliveryException.class)
                .hasMessageStartingWith("config.json is not valid JSON");
    }

    @Test
    void applyWhenEnvIsNotAnArrayThenRefusesNamingTheField() {
        assertThatThrownBy(() -> OciSpec.parse("{\"process\": {\"env\": \"PATH=/bin\"}}").apply(plan()))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.BUNDLE_INVALID))
                .hasMessage("config.json field process.env is not a JSON array");
    }

    @Test
    void revertWhenSpecCarriesAForgedDeliveryAnnotationThenOnlyThePatchSaysWhatIsRemoved() throws Exception {
        // M1: the annotation older versions wrote and trusted now means nothing; here it names PATH and /proc.
        String forged = "{\\\"version\\\":1,\\\"source\\\":\\\"proc\\\",\\\"destination\\\":\\\"/proc\\\","
                + "\\\"env\\\":[\\\"PATH\\\",\\\"HOME\\\"],\\\"created\\\":[\\\"mounts\\\"]}";
        String spec = TASK_SPEC.replace("\"io.concourse.handle\": \"abc\"", "\"org.cijwt.preflight\": \"" + forged + "\"");
        OciSpec.Applied applied = OciSpec.parse(spec).apply(plan());

        OciSpec reverted = applied.spec().revert(applied.patch()).spec();

        assertThat(reverted.json()).isEqualTo(OciSpec.parse(spec).json());
        assertThat(env(reverted)).containsExactly("PATH=/usr/bin:/bin", "HOME=/root");
        assertThat(reverted.json().get("mounts").get(0).get("destination").asText()).isEqualTo("/proc");
    }

    @Test
    void planWhenPrintedThenShowsVariableNamesOnly() {
        assertThat(plan().toString()).contains("CONCOURSE_CI_JWT_FILE").doesNotContain(TOKEN);
    }

    @Test
    void planWhenVariableNameHasEqualsSignThenRefuses() {
        assertThatThrownBy(() -> new DeliveryPlan(TOKEN_DIR, Map.of("A=B", "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"A=B\"");
    }

    @Test
    void planWhenTokenDirectoryIsRelativeThenRefuses() {
        assertThatThrownBy(() -> DeliveryPlan.mountOnly(Path.of("tokens")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("absolute");
    }
}
