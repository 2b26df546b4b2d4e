package org.cijwt.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.PemKeySource;
import org.cijwt.keys.SigningKey;
import org.cijwt.signedconfig.ConfigVerifier;
import org.cijwt.testkit.TestKeyRings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RFC's use-vars pipeline end to end: real OpenBao trusting our web endpoint by OIDC discovery,
 * the var source, pre-flight and real runc containers.
 */
class UseVarsExampleIT {

    @TempDir
    Path work;

    @Test
    void runWhenOpenBaoTrustsOurIssuerThenBothTestLinesPassAndTheTaskLogsInByItself() throws Exception {
        Assume.openBao();
        Assume.runc();
        KeyRing ring = TestKeyRings.signing();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        UseVarsExample.Outcome outcome;
        try (OpenBaoServer bao = OpenBaoServer.start();
             PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            outcome = UseVarsExample.run(new UseVarsExample.Target(bao.address(), bao.rootToken()), ring, work, out);
        }
        String log = printed.toString(StandardCharsets.UTF_8);

        assertThat(outcome.containersSkipped()).as(log).isEmpty();
        assertThat(outcome.passed()).as(log).isTrue();
        UseVarsExample.TaskOutcome useVars = outcome.tasks().get(0);
        assertThat(useVars.job()).isEqualTo(UseVarsExample.USE_VARS_JOB);
        assertThat(useVars.interpolatedConfig())
                .contains("test \"hello-im-a-username\" = \"hello-im-a-username\"")
                .contains("test \"some-value\" = \"some-value\"");
        assertThat(useVars.container()).hasValueSatisfying(result -> {
            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stderr())
                    .contains("+ test hello-im-a-username '=' hello-im-a-username")
                    .contains("+ test some-value '=' some-value");
        });
        UseVarsExample.TaskOutcome login = outcome.tasks().get(1);
        assertThat(login.job()).isEqualTo(UseVarsExample.LOGIN_JOB);
        assertThat(login.container()).hasValueSatisfying(result -> {
            assertThat(result.exitCode()).as(result.stdout() + result.stderr()).isZero();
            assertThat(result.stdout())
                    .contains("logged in at auth/concourse as role example")
                    .contains("read concourse/main/use-vars-pipeline/some_secret with the task's own Vault token")
                    .contains("another pipeline's secret is denied");
        });
        assertThat(log)
                .contains("trusts " + outcome.issuer() + " by OIDC discovery")
                .contains("pre-flight: token ")
                .doesNotContain("eyJ")
                .doesNotContain("not-for-use-vars");
    }

    private UseVarsExample.Outcome runSigned(UseVarsExample.Signing signing, ByteArrayOutputStream printed) throws Exception {
        Assume.openBao();
        Assume.runc();
        KeyRing ring = TestKeyRings.signing();
        try (OpenBaoServer bao = OpenBaoServer.start();
             PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            return UseVarsExample.run(new UseVarsExample.Target(bao.address(), bao.rootToken()), ring, work, out,
                    java.util.Optional.of(signing));
        }
    }

    private UseVarsExample.Signing signing(ConfigVerifier.Behavior behavior, boolean signed) throws Exception {
        SigningKey author = PemKeySource.file(TestKeys.copyPrivate(TestKeys.ED25519, work)).load()
                .requireSigner(SigningAlgorithm.EdDSA);
        return new UseVarsExample.Signing(author, TestKeys.copyPublic(TestKeys.ED25519_PUBLIC, work), behavior, signed);
    }

    @Test
    void runWhenThePipelineIsSignedThenTheTokenSaysVerifiedWithTheSignerAndTheRoleBoundToItLogsIn() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        UseVarsExample.Signing signing = signing(ConfigVerifier.Behavior.BLOCK, true);
        String signer = KeyEntry.thumbprint(signing.author().entry().jwk().toPublicJWK());

        UseVarsExample.Outcome outcome = runSigned(signing, printed);
        String log = printed.toString(StandardCharsets.UTF_8);

        assertThat(outcome.passed()).as(log).isTrue();
        assertThat(log).contains("pipeline signed by its author")
                .contains("pre-flight: config_verification=verified, config_signer=" + signer)
                .contains("role '" + UseVarsExample.SIGNED_ROLE + "' also requires config_verification verified and config_signer " + signer)
                .doesNotContain("eyJ");
        UseVarsExample.TaskOutcome login = outcome.tasks().get(1);
        assertThat(login.container()).hasValueSatisfying(result -> assertThat(result.stdout())
                .contains("logged in at auth/concourse as role " + UseVarsExample.SIGNED_ROLE)
                .contains("read concourse/main/use-vars-pipeline/some_secret with the task's own Vault token"));
    }

    @Test
    void runWhenThePipelineIsUnsignedUnderWarnThenTheTokenSaysUnsignedAndTheBoundRoleRefusesIt() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        UseVarsExample.Outcome outcome = runSigned(signing(ConfigVerifier.Behavior.WARN, false), printed);
        String log = printed.toString(StandardCharsets.UTF_8);

        assertThat(log).contains("pre-flight: config_verification=unsigned").doesNotContain("config_signer=");
        UseVarsExample.TaskOutcome login = outcome.tasks().get(1);
        assertThat(login.container()).hasValueSatisfying(result -> {
            assertThat(result.exitCode()).isNotZero();
            assertThat(result.stdout()).doesNotContain("logged in at auth/concourse");
        });
    }
}
