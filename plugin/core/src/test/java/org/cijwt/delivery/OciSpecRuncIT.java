package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.launch.Runc;
import org.cijwt.fixtures.launch.RuncContainer;
import org.cijwt.fixtures.launch.RuncResult;
import org.cijwt.io.FileOwner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Delivers a token directory and variables into real runc containers on a busybox rootfs. */
class OciSpecRuncIT {

    private static final String TOKEN = "test-token-not-a-secret";
    private static final String TOKEN_FILE = DeliveryPlan.CONTAINER_TOKEN_DIR + "/jwt";

    @TempDir
    Path temp;

    private TokenDirectory tokens;

    @BeforeEach
    void setUp() throws Exception {
        Assume.runc();
        tokens = TokenDirectory.create(temp.resolve("tokens"), TokenAccess.forReader(FileOwner.ROOT));
        tokens.write("jwt", TOKEN);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (tokens != null) {
            tokens.delete();
        }
    }

    private DeliveryPlan plan() {
        return DeliveryPlan.mountOnly(tokens.path()).withVariable(DeliveryPlan.TOKEN_FILE_VARIABLE, TOKEN_FILE);
    }

    @Test
    void containerWhenPlanAppliedThenReadsTokenFileSeesVariableAndCannotWrite() throws Exception {
        Path bundle = Runc.bundle(temp.resolve("bundle"), List.of("sh", "-c", String.join("; ",
                "echo \"file=$(cat \"$CONCOURSE_CI_JWT_FILE\")\"",
                "env | grep '^CONCOURSE_CI_JWT'",
                "if echo tampered > \"$CONCOURSE_CI_JWT_FILE\"; then echo write=allowed; else echo write=refused; fi",
                "if touch " + DeliveryPlan.CONTAINER_TOKEN_DIR + "/new; then echo create=allowed;"
                        + " else echo create=refused; fi",
                "ls -l " + TOKEN_FILE)), Map.of());

        assertThat(OciSpec.applyToBundle(bundle, plan()).warnings()).isEmpty();
        RuncResult result = Runc.run(bundle);

        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.stdout()).as(result.describe())
                .contains("file=" + TOKEN + "\n")
                .contains("CONCOURSE_CI_JWT_FILE=" + TOKEN_FILE + "\n")
                .contains("write=refused\n")
                .contains("create=refused\n")
                // Changed with L5: 0400, the task's user's (root's here) alone, no longer 0444.
                .contains("-r--------");
        assertThat(result.stderr()).contains("Read-only file system");
        assertThat(tokens.file("jwt")).hasContent(TOKEN);
    }

    @Test
    void containerWhenTaskSetsTheFileVariableThenTaskValueWinsInside() throws Exception {
        Path bundle = Runc.bundle(temp.resolve("bundle"), List.of("sh", "-c", "echo \"$CONCOURSE_CI_JWT_FILE\""),
                Map.of(DeliveryPlan.TOKEN_FILE_VARIABLE, "/task/own/path"));

        List<DeliveryWarning> warnings = OciSpec.applyToBundle(bundle, plan()).warnings();
        RuncResult result = Runc.run(bundle);

        assertThat(warnings).extracting(DeliveryWarning::variable).containsExactly(DeliveryPlan.TOKEN_FILE_VARIABLE);
        assertThat(result.stdout()).as(result.describe()).isEqualTo("/task/own/path\n");
    }

    @Test
    void containerWhenHostFileIsReplacedThenRunningContainerSeesTheNewToken() throws Exception {
        // Bounded: 100 reads at 0.2 s is 20 s at most, then the container ends by itself.
        Path bundle = Runc.bundle(temp.resolve("bundle"), List.of("sh", "-c",
                "i=0; while [ $i -lt 100 ]; do echo \"read=$(cat \"$CONCOURSE_CI_JWT_FILE\")\";"
                        + " sleep 0.2; i=$((i+1)); done"), Map.of());
        OciSpec.applyToBundle(bundle, plan());

        try (RuncContainer container = Runc.start(bundle)) {
            assertThat(container.awaitStdout("read=" + TOKEN + "\n", Duration.ofSeconds(10)))
                    .as("first token inside; stderr: %s", container.stderr()).isTrue();

            tokens.write("jwt", "refreshed-token-not-a-secret");

            assertThat(container.awaitStdout("read=refreshed-token-not-a-secret\n", Duration.ofSeconds(10)))
                    .as("refreshed token inside; stdout: %s", container.stdout()).isTrue();
            assertThat(container.isRunning()).isTrue();
            assertThat(container.stdout()).doesNotContain("read=\n");
        }
    }

    @Test
    void containerWhenPlanRevertedThenNoTokenMountAndNoVariable() throws Exception {
        Path bundle = Runc.bundle(temp.resolve("bundle"), List.of("sh", "-c",
                "echo \"var=${CONCOURSE_CI_JWT_FILE:-unset}\"; ls -A " + DeliveryPlan.CONTAINER_TOKEN_DIR),
                Map.of());
        SpecPatch patch = OciSpec.applyToBundle(bundle, plan()).patch();

        assertThat(OciSpec.revertBundle(bundle, patch)).isTrue();
        RuncResult result = Runc.run(bundle);

        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.stdout()).isEqualTo("var=unset\n");
    }
}
