package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cijwt.cli.CliRun.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cijwt.fixtures.TestKeys;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineSigningCliTest {
    @TempDir
    Path dir;

    Path pipeline;
    Path privateKey;
    Path publicKey;

    @BeforeEach
    void files() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/org/cijwt/fixtures/pipelines/use-vars.yml")) {
            pipeline = Files.writeString(dir.resolve("use-vars.yml"), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        privateKey = TestKeys.copyPrivate(TestKeys.ED25519, dir);
        publicKey = TestKeys.copyPublic(TestKeys.ED25519_PUBLIC, dir);
    }

    private Path signed() throws Exception {
        CliRun sign = run("sign-pipeline", "--keys", privateKey.toString(), "--team", "main", "--pipeline", "use-vars-pipeline",
                pipeline.toString());
        assertThat(sign.exit()).as(sign.err()).isZero();
        assertThat(sign.err()).contains("signed with EdDSA key");
        return Files.writeString(dir.resolve("signed.yml"), sign.out());
    }

    @Test
    void signPipelineWhenVerifiedWithThePinnedPublicKeyThenEveryTaskStepVerifies() throws Exception {
        Path signed = signed();
        assertThat(Files.readString(signed)).contains("signature:").doesNotContain("PRIVATE");

        CliRun verify = run("verify-pipeline", "--verify-keys", publicKey.toString(), "--team", "main",
                "--pipeline", "use-vars-pipeline", signed.toString());

        assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
        assertThat(verify.out().lines()).hasSize(2).allMatch(l -> l.startsWith("verified: job "));
        assertThat(verify.out()).contains("job use-vars, task use-vars").contains("job login-from-task, task login-from-task");
    }

    @Test
    void verifyPipelineWhenOneStepWasEditedOrTheFileIsSetAsAnotherPipelineThenExit1NamingEachStep() throws Exception {
        Path signed = signed();
        YAMLMapper yaml = new YAMLMapper();
        JsonNode pipeline = yaml.readTree(Files.readString(signed));
        ((ObjectNode) pipeline.at("/jobs/1/plan/0/config/params")).put("AUTH_ROLE", "admin");
        Path edited = Files.writeString(dir.resolve("edited.yml"), yaml.writeValueAsString(pipeline));

        CliRun verify = run("verify-pipeline", "--verify-keys", publicKey.toString(), "--team", "main",
                "--pipeline", "use-vars-pipeline", edited.toString());
        assertThat(verify.exit()).isEqualTo(1);
        assertThat(verify.out()).contains("verified: job use-vars, task use-vars")
                .contains("failed: main/use-vars-pipeline job login-from-task, task login-from-task: bad signature");

        CliRun elsewhere = run("verify-pipeline", "--verify-keys", publicKey.toString(), "--team", "main",
                "--pipeline", "copied", signed.toString());
        assertThat(elsewhere.exit()).isEqualTo(1);
        assertThat(elsewhere.out()).contains("replayed: signed for main/use-vars-pipeline job use-vars");
    }

    @Test
    void verifyPipelineWhenUnsignedThenExit1SayingUnsigned() {
        CliRun verify = run("verify-pipeline", "--verify-keys", publicKey.toString(), "--team", "main",
                "--pipeline", "use-vars-pipeline", pipeline.toString());

        assertThat(verify.exit()).isEqualTo(1);
        assertThat(verify.out()).contains("unsigned: main/use-vars-pipeline job use-vars, task use-vars: unsigned");
    }

    @Test
    void signPipelineWhenFileIsNotYamlThenOneLineWithCode() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yml"), "jobs: [unclosed\n");

        CliRun sign = run("sign-pipeline", "--keys", privateKey.toString(), "--team", "main", "--pipeline", "p", bad.toString());

        assertThat(sign.exit()).isEqualTo(1);
        assertThat(sign.err().strip()).startsWith("ci-jwt: CJ403 pipeline file").doesNotContain("\n");
        assertThat(sign.out()).isEmpty();
    }
}
