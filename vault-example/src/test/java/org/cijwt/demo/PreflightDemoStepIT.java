package org.cijwt.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.fixtures.Assume;
import org.cijwt.keys.KeyRing;
import org.cijwt.testkit.TestBuilds;
import org.cijwt.testkit.TestKeyRings;
import org.cijwt.testkit.TestTokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's container stage with real containerd, the runtime wrapper and runc, and its fallbacks. */
class PreflightDemoStepIT {
    @TempDir
    Path dir;

    @Test
    void containerStageWhenContainerdIsInstalledThenTheTaskReadsItsTokenThroughTheAgentAndContainerd() throws Exception {
        Assume.containerd();

        String printed = run(new PreflightDemoStep());

        assertThat(printed).contains("agent: ci-jwt agent (in this process) serving on " + dir.toAbsolutePath())
                .contains("$ ctr run --rm --runc-binary ").contains("--annotation org.cijwt.metadata=")
                .contains("| CONCOURSE_CI_JWT_FILE=/var/run/secrets/concourse-ci/jwt")
                .contains("| CONCOURSE_CI_JWT holds the same token as the file")
                .contains("\"team\":\"main\"").contains("\"pipeline\":\"deploy\"").contains("\"aud\":\"ci-jwt-demo\"")
                .contains("| write to the token file: refused (read-only)")
                .contains(PreflightDemoStep.AGENT_PATH + ": the wrapper asked the agent on create (1 token(s) minted")
                .contains("(0 container(s) left)")
                .doesNotContain("not " + PreflightDemoStep.AGENT_PATH)
                .doesNotContain("eyJ");
        assertThat(dir.resolve("preflight-demo")).doesNotExist();
    }

    @Test
    void containerStageWhenContainerdIsMissingThenItSaysWhyAndPreflightDeliversIntoARuncBundle() throws Exception {
        Assume.runc();

        String printed = run(new PreflightDemoStep(() -> Optional.of("containerd is not on PATH"),
                () -> RuntimeWrapper.missing("not asked")));

        assertThat(printed).contains("not " + PreflightDemoStep.AGENT_PATH
                        + ": containerd is unavailable here (containerd is not on PATH);")
                .contains("$ runc run --bundle ").contains("\"team\":\"main\"")
                .contains("| write to the token file: refused (read-only)")
                .doesNotContain("ctr run");
        assertThat(dir.resolve("preflight-demo")).doesNotExist();
    }

    @Test
    void containerStageWhenTheWrapperIsNotBuiltThenItSaysWhyAndRunsTheTaskWithoutTheAgent() throws Exception {
        Assume.runc();

        String printed = run(new PreflightDemoStep(Optional::empty,
                () -> RuntimeWrapper.missing("the runtime wrapper is not built and Go is not installed")));

        assertThat(printed).contains("not " + PreflightDemoStep.AGENT_PATH
                        + ": the runtime wrapper is not built and Go is not installed;")
                .contains("$ runc run --bundle ").contains("| write to the token file: refused (read-only)")
                .doesNotContain("agent: ci-jwt agent");
    }

    private String run(PreflightDemoStep step) throws Exception {
        KeyRing ring = TestKeyRings.signing();
        // The demo's own policy (DemoCommand's): default issuer, audience ci-jwt-demo.
        ClaimsPolicy policy = ClaimsPolicy.builder().audience("ci-jwt-demo").build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        step.run(new DemoContext(dir, TestKeyRings.source(), ring, TestBuilds.main(), policy,
                TestTokens.mint(ring, Clock.systemUTC(), policy), out));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
