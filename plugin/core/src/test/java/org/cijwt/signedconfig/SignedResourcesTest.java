package org.cijwt.signedconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.PemKeySource;
import org.cijwt.keys.SigningKey;
import org.cijwt.keys.VerificationKeySource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A signature covers the resources that fill the step's image and inputs (review finding 1, issue
 * 20): whoever can set the pipeline but holds no author key cannot point them elsewhere, in
 * {@code verify-pipeline} and at the worker alike.
 */
class SignedResourcesTest {
    private static final String PIPELINE = """
            resource_types:
            - name: git-lfs
              type: registry-image
              source: {repository: concourse/git-resource, tag: "1.15"}
            resources:
            - name: deploy-image
              type: registry-image
              source: {repository: example/deploy, tag: "1.4.2"}
            - name: repo
              type: git-lfs
              source: {uri: https://git.example.com/app.git, branch: main}
            - name: unrelated
              type: time
              source: {interval: 1h}
            jobs:
            - name: apply
              plan:
              - in_parallel:
                - get: deploy-image
                - get: source
                  resource: repo
                - get: unrelated
              - task: plan
                image: deploy-image
                input_mapping: {repo: source}
                config:
                  platform: linux
                  inputs: [{name: repo}]
                  run: {path: sh, args: [-ec, 'cd repo && ./plan']}
            """;

    @TempDir
    Path dir;

    SigningKey author;
    KeyRing pinned;

    @BeforeEach
    void keys() throws Exception {
        author = PemKeySource.file(TestKeys.copyPrivate(TestKeys.ED25519, dir)).load().requireSigner(SigningAlgorithm.EdDSA);
        pinned = new VerificationKeySource(TestKeys.copyPublic(TestKeys.ED25519_PUBLIC, dir)).load();
    }

    private String signed() throws CiJwtException {
        return PipelineSigning.sign(PIPELINE, "p.yml", "main", "deploy", author);
    }

    private List<String> verify(String pipeline) throws CiJwtException {
        return PipelineSigning.verify(pipeline, "p.yml", "main", "deploy", pinned).stream()
                .map(r -> r.verification().status().claim() + r.verification().reason().map(x -> ": " + x).orElse("")).toList();
    }

    @Test
    void signedStepWhenBuiltThenItCarriesTheImageAndInputResourcesAndTheirCustomTypeOnly() throws Exception {
        ObjectNode step = PipelineSigning.signedStep(signed(), "p.yml", "apply", "plan");

        assertThat(step.path(SignedFields.RESOURCES).fieldNames()).toIterable().containsExactlyInAnyOrder("deploy-image", "repo");
        assertThat(step.at("/resources/deploy-image/source/tag").asText()).isEqualTo("1.4.2");
        assertThat(step.at("/resources/repo/type").asText()).isEqualTo("git-lfs");
        assertThat(step.path(SignedFields.RESOURCE_TYPES).fieldNames()).toIterable().containsExactly("git-lfs");
        assertThat(step.path("signature").isTextual()).isTrue();
    }

    @Test
    void verifyPipelineWhenTheImageInputOrTypeDefinitionChangesThenFailedAndOtherChangesDoNot() throws Exception {
        String signed = signed();
        assertThat(verify(signed)).containsExactly("verified");

        assertThat(verify(signed.replace("repository: example/deploy", "repository: attacker/deploy"))).as("image resource")
                .singleElement().asString().startsWith("failed");
        assertThat(verify(signed.replace("tag: 1.4.2", "tag: latest").replace("tag: \"1.4.2\"", "tag: latest"))).as("image tag")
                .singleElement().asString().startsWith("failed");
        assertThat(verify(signed.replace("https://git.example.com/app.git", "https://git.attacker.example/app.git")))
                .as("input resource").singleElement().asString().startsWith("failed");
        assertThat(verify(signed.replace("repository: concourse/git-resource", "repository: attacker/git-resource")))
                .as("custom type of an input").singleElement().asString().startsWith("failed");
        assertThat(verify(signed.replace("interval: 1h", "interval: 5m"))).as("a resource the step does not use")
                .containsExactly("verified");
    }

    @Test
    void workerWhenTheSignedStepCarriesOtherResourcesThenNotVerified() throws Exception {
        String signed = signed();
        ObjectNode good = PipelineSigning.signedStep(signed, "p.yml", "apply", "plan");
        ObjectNode swapped = PipelineSigning.signedStep(signed.replace("repository: example/deploy", "repository: attacker/deploy"),
                "p.yml", "apply", "plan");

        assertThat(check(good).verification()).isEqualTo("verified");
        assertThat(check(swapped).verification()).isEqualTo("failed");
        ObjectNode dropped = good.deepCopy();
        dropped.remove(SignedFields.RESOURCES);
        assertThat(check(dropped).verification()).as("resources left out of signed_step").isEqualTo("failed");
    }

    @Test
    void signWhenTheStepUsesAResourceThePipelineDoesNotDefineThenRefusedNamingIt() {
        String broken = PIPELINE.replace("- name: deploy-image\n  type: registry-image", "- name: other-image\n  type: registry-image");
        assertThatThrownBy(() -> PipelineSigning.sign(broken, "p.yml", "main", "deploy", author))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SIGNED_STEP_INVALID))
                .hasMessageContaining("resource 'deploy-image'");
    }

    private org.cijwt.claims.ConfigClaims check(JsonNode signedStep) throws CiJwtException {
        BuildMetadata md = BuildMetadata.builder().team("main").pipeline("deploy").job("apply").task("plan").buildId("1")
                .signedStep(signedStep).build();
        ConfigVerifier verifier = new ConfigVerifier(() -> pinned, ConfigVerifier.Behavior.WARN, java.util.Map.of(), java.util.Set.of());
        ExecutionCheck.Process process = new ExecutionCheck.Process(List.of("sh", "-ec", "cd repo && ./plan"), "/tmp/build/1",
                java.util.Set.of("0"), java.util.Map.of("PATH", "/bin"));
        return verifier.check(md, process).config();
    }
}
