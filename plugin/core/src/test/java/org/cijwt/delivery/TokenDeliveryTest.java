package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.io.FileOwner;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenDeliveryTest {

    static final String CONFIG = """
            issuer: https://ci.example.com
            tokens:
              - name: jwt
                audiences: [vault]
                ttl: 10m
              - name: aws
                audiences: [sts.amazonaws.com]
                aws: true
            """;

    static final String TASK_SPEC = """
            {"ociVersion": "1.0.2",
             "process": {"args": ["sh"], "env": ["PATH=/bin"], "cwd": "/"},
             "root": {"path": "rootfs"},
             "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}]}
            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-02T10:00:00Z"));
    private KeyRing ring;
    private BuildMetadata metadata;
    private TokenProfile config;
    private Path bundle;
    private DeliveryRecords records;

    @BeforeEach
    void setUp() throws Exception {
        ring = KeySources.resolve(TestKeys.copyPrivate(TestKeys.P256, temp).toString(), KeySources.Options.defaults()).load();
        metadata = BuildMetadata.fromJsonFile(TestKeys.metadataFile("main", temp));
        config = TokenProfile.parse(CONFIG, "test");
        bundle = Files.createDirectories(temp.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), TASK_SPEC);
        records = DeliveryRecords.open(temp.resolve("state"));
    }

    private TokenDelivery preflight() {
        return new TokenDelivery(() -> ring, clock, records);
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    private static ErrorCode codeOf(Throwable e) {
        return ((CiJwtException) e).code();
    }

    private Verification verify(String token, String audience) throws CiJwtException {
        KeyRing published = VerificationKeySource.fromJwks(ring.publicJwksJson(), "test JWKS");
        return new TokenVerifier(() -> published, config.issuer(), List.of(audience), TokenVerifier.DEFAULT_LEEWAY, clock)
                .verify(token);
    }

    private static List<String> env(JsonNode spec) {
        List<String> env = new ArrayList<>();
        spec.get("process").get("env").forEach(e -> env.add(e.asText()));
        return env;
    }

    @Test
    void deliverThenFilesAre0400ForTheTaskUserInADirectoryOthersCannotEnterAndEachVerifiesForItsAudience()
            throws Exception {
        // Changed with L5: files were 0444 in a 0555 directory, readable by every local user.
        Path dir = temp.resolve("tokens");

        TokenDelivery.Delivery delivery = preflight().deliver(metadata, config, dir, bundle);

        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(delivery.directory().access().directoryMode());
        assertThat(mode(dir)).endsWith("---");
        for (String name : List.of("jwt", "aws")) {
            Path file = dir.resolve(name);
            assertThat(mode(file)).isEqualTo("r--------");
            assertThat(file).hasContent(delivery.tokens().get(name).compact());
        }
        assertThat(verify(Files.readString(dir.resolve("jwt")), "vault").active()).isTrue();
        assertThat(verify(Files.readString(dir.resolve("aws")), "sts.amazonaws.com").active()).isTrue();
        assertThat(verify(Files.readString(dir.resolve("aws")), "vault").active()).isFalse();
        assertThat(delivery.warnings()).isEmpty();
    }

    @Test
    void deliverThenConfigJsonHasTheVariablesAndTheReadOnlyMountAndIsOwnerOnly() throws Exception {
        Path dir = temp.resolve("tokens");

        TokenDelivery.Delivery delivery = preflight().deliver(metadata, config, dir, bundle);

        Path configJson = bundle.resolve("config.json");
        JsonNode spec = JSON.readTree(configJson.toFile());
        assertThat(env(spec)).containsExactly("PATH=/bin",
                "CONCOURSE_CI_JWT=" + delivery.defaultToken().compact(),
                "CONCOURSE_CI_JWT_FILE=/var/run/secrets/concourse-ci/jwt",
                "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/concourse-ci/aws");
        JsonNode mount = spec.get("mounts").get(1);
        assertThat(mount.get("destination").asText()).isEqualTo("/var/run/secrets/concourse-ci");
        assertThat(mount.get("source").asText()).isEqualTo(dir.toAbsolutePath().toString());
        assertThat(mount.get("options").toString()).contains("\"ro\"", "\"nosuid\"", "\"nodev\"", "\"noexec\"");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(configJson))).isEqualTo("rw-------");
    }

    @Test
    void deliverWhenTheCallerHasReadTheSpecThenThatReadingIsPatchedAndTheFileIsNotReadAgain() throws Exception {
        Path dir = temp.resolve("tokens");
        OciSpec read = OciSpec.read(bundle.resolve("config.json"));
        // Were the file read again, this would be refused as not valid JSON.
        Files.writeString(bundle.resolve("config.json"), "not the spec that was read");

        TokenDelivery.Delivery delivery = preflight().deliver(DeliveryRecords.bundleKey(bundle), metadata, config, dir, bundle,
                java.util.Optional.of(read));

        JsonNode spec = JSON.readTree(bundle.resolve("config.json").toFile());
        assertThat(env(spec)).startsWith("PATH=/bin", "CONCOURSE_CI_JWT=" + delivery.defaultToken().compact());
        assertThat(spec.get("mounts").get(0).get("destination").asText()).isEqualTo("/proc");
    }

    @Test
    void deliverWhenTheProfileAllowsRequestsThenTheMountLetsTheClientRunAndIsStillReadOnly() throws Exception {
        TokenProfile asking = TokenProfile.parse(CONFIG + "on_request: {audiences: [sts.amazonaws.com]}\n", "test");

        TokenDelivery.Delivery delivery = preflight().deliver(metadata, asking, temp.resolve("tokens"), bundle);

        JsonNode mount = JSON.readTree(bundle.resolve("config.json").toFile()).get("mounts").get(1);
        assertThat(mount.get("options").toString()).isEqualTo("[\"rbind\",\"ro\",\"nosuid\",\"nodev\"]");
        assertThat(delivery.plan().runsClient()).isTrue();
        assertThat(TokenDelivery.plan(temp, config, delivery.tokens()).mountOptions()).contains("noexec");
    }

    @Test
    void deliverWhenTaskSetsTheTokenVariableThenTaskValueWinsAndTheWarningNamesIt() throws Exception {
        Files.writeString(bundle.resolve("config.json"), TASK_SPEC.replace("\"PATH=/bin\"", "\"PATH=/bin\", \"CONCOURSE_CI_JWT=mine\""));

        TokenDelivery.Delivery delivery = preflight().deliver(metadata, config, temp.resolve("tokens"), bundle);

        assertThat(delivery.warnings()).extracting(DeliveryWarning::variable).containsExactly("CONCOURSE_CI_JWT");
        assertThat(delivery.warnings().get(0).message()).contains("CONCOURSE_CI_JWT").doesNotContain(delivery.defaultToken().compact());
        assertThat(env(JSON.readTree(bundle.resolve("config.json").toFile())))
                .contains("CONCOURSE_CI_JWT=mine", "CONCOURSE_CI_JWT_FILE=/var/run/secrets/concourse-ci/jwt")
                .noneMatch(e -> e.startsWith("CONCOURSE_CI_JWT=ey"));
    }

    @Test
    void deliverWhenSpecAlreadyMountsTheReservedPathThenRefusedNamingBothMountsAndNothingIsWritten() throws Exception {
        String conflicting = TASK_SPEC.replace("\"source\": \"proc\"}", "\"source\": \"proc\"},"
                + " {\"destination\": \"/var/run/secrets/concourse-ci/\", \"type\": \"bind\", \"source\": \"/host/secrets\"}");
        Files.writeString(bundle.resolve("config.json"), conflicting);
        Path dir = temp.resolve("tokens");

        assertThatThrownBy(() -> preflight().deliver(metadata, config, dir, bundle))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.MOUNT_CONFLICT))
                .hasMessageContaining("mounts /host/secrets at /var/run/secrets/concourse-ci/")
                .hasMessageContaining("reserved token path /var/run/secrets/concourse-ci")
                .hasMessageContaining("where ci-jwt mounts " + dir.toAbsolutePath());
        assertThat(dir).doesNotExist();
        assertThat(bundle.resolve("config.json")).hasContent(conflicting);
        assertThat(records.all()).isEmpty();
    }

    @Test
    void deliverTwiceThenTheSecondReplacesTheFirst() throws Exception {
        Path dir = temp.resolve("tokens");
        preflight().deliver(metadata, config, dir, bundle);
        clock.advance(java.time.Duration.ofMinutes(1));

        TokenDelivery.Delivery second = preflight().deliver(metadata, config, dir, bundle);

        JsonNode spec = JSON.readTree(bundle.resolve("config.json").toFile());
        assertThat(spec.get("mounts")).hasSize(2);
        assertThat(env(spec)).filteredOn(e -> e.startsWith("CONCOURSE_CI_JWT=")).containsExactly(
                "CONCOURSE_CI_JWT=" + second.defaultToken().compact());
        assertThat(dir.resolve("jwt")).hasContent(second.defaultToken().compact());
    }

    @Test
    void deliverAgainWithFewerTokensThenTheDroppedTokenFileIsRemoved() throws Exception {
        Path dir = temp.resolve("tokens");
        preflight().deliver(metadata, config, dir, bundle);
        assertThat(dir.resolve("aws")).exists();
        TokenProfile jwtOnly = TokenProfile.parse(
                "issuer: https://ci.example.com\ntokens:\n  - {name: jwt, audiences: [vault], ttl: 10m}\n", "jwt-only");

        preflight().deliver(metadata, jwtOnly, dir, bundle);

        assertThat(dir.resolve("aws")).doesNotExist();
        assertThat(dir.resolve("jwt")).exists();
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(TokenAccess.forReader(FileOwner.ROOT).directoryMode());
        assertThat(env(JSON.readTree(bundle.resolve("config.json").toFile())))
                .noneMatch(e -> e.startsWith("AWS_WEB_IDENTITY_TOKEN_FILE="));
    }

    @Test
    void prepareThenFilesAndPlanButNoSpecIsTouched() throws Exception {
        TokenDelivery.Delivery delivery = preflight().prepare(metadata, config, temp.resolve("tokens"));

        assertThat(delivery.plan().environment()).containsKeys("CONCOURSE_CI_JWT", "CONCOURSE_CI_JWT_FILE",
                "AWS_WEB_IDENTITY_TOKEN_FILE");
        assertThat(temp.resolve("tokens/jwt")).exists();
        assertThat(bundle.resolve("config.json")).hasContent(TASK_SPEC);
    }

    @Test
    void cleanupThenSpecIsAsBeforeAndTheDirectoryIsGone() throws Exception {
        Path dir = temp.resolve("tokens");
        preflight().deliver(metadata, config, dir, bundle);

        TokenDelivery.Cleanup done = TokenDelivery.cleanup(records, bundle);

        assertThat(done.specReverted()).isTrue();
        assertThat(done.removedDirectory()).contains(dir.toAbsolutePath());
        assertThat(done.warnings()).isEmpty();
        assertThat(dir).doesNotExist();
        assertThat(JSON.readTree(bundle.resolve("config.json").toFile())).isEqualTo(JSON.readTree(TASK_SPEC));
        assertThat(TokenDelivery.cleanup(records, bundle)).isEqualTo(TokenDelivery.Cleanup.NOTHING);
        assertThat(records.all()).isEmpty();
    }

    @Test
    void cleanupWhenConfigJsonIsGoneThenStillRemovesTheDefaultDirectory() throws Exception {
        preflight().deliver(metadata, config, TokenDelivery.defaultTokenDirectory(bundle), bundle);
        Files.delete(bundle.resolve("config.json"));

        TokenDelivery.Cleanup done = TokenDelivery.cleanup(records, bundle);

        assertThat(done.specReverted()).isFalse();
        assertThat(TokenDelivery.defaultTokenDirectory(bundle)).doesNotExist();
    }

    @Test
    void cleanupWhenNoRecordNamesTheDirectoryThenItIsNeverTouched() throws Exception {
        // Changed with M1: a directory named by the caller or config.json is not ci-jwt's unless its record says so.
        Path notTokens = Files.createDirectories(temp.resolve("elsewhere/sub"));
        Files.writeString(notTokens.resolveSibling("jwt"), "not ours");

        assertThat(TokenDelivery.cleanup(records, bundle)).isEqualTo(TokenDelivery.Cleanup.NOTHING);

        assertThat(notTokens).exists();
        assertThat(notTokens.resolveSibling("jwt")).hasContent("not ours");
    }

    @Test
    void cleanupWhenTheRecordedDirectoryHoldsSomethingCiJwtDidNotWriteThenThatStaysWithTheDirectory() throws Exception {
        Path dir = temp.resolve("tokens");
        preflight().deliver(metadata, config, dir, bundle);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.createDirectory(dir.resolve("sub"));

        TokenDelivery.Cleanup done = TokenDelivery.cleanup(records, bundle);

        assertThat(done.removedDirectory()).isEmpty();
        assertThat(done.warnings()).singleElement().asString()
                .isEqualTo("token directory " + dir + " was left in place: it holds sub, which ci-jwt did not write");
        assertThat(dir.resolve("sub")).isDirectory();
        assertThat(dir.resolve("jwt")).doesNotExist();
        assertThat(dir.resolve("aws")).doesNotExist();
    }

    @Test
    void cleanupWhenGivenAnotherTokenDirectoryThanTheRecordedOneThenRecordInvalidAndNothingChanges() throws Exception {
        Path dir = temp.resolve("tokens");
        preflight().deliver(metadata, config, dir, bundle);
        String patched = Files.readString(bundle.resolve("config.json"));

        assertThatThrownBy(() -> TokenDelivery.cleanup(records, bundle, temp.resolve("other")))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_RECORD_INVALID))
                .hasMessageContaining("was recorded with token directory " + dir);
        assertThat(dir.resolve("jwt")).exists();
        assertThat(bundle.resolve("config.json")).hasContent(patched);
    }

    @Test
    void deliveryToStringAndWarningsNeverContainTheToken() throws Exception {
        Files.writeString(bundle.resolve("config.json"), TASK_SPEC.replace("\"PATH=/bin\"", "\"PATH=/bin\", \"CONCOURSE_CI_JWT_FILE=/x\""));

        TokenDelivery.Delivery delivery = preflight().deliver(metadata, config, temp.resolve("tokens"), bundle);

        for (MintedToken token : delivery.tokens().values()) {
            assertThat(delivery.toString()).doesNotContain(token.compact());
            assertThat(delivery.plan().toString()).doesNotContain(token.compact());
            assertThat(delivery.warnings().toString()).doesNotContain(token.compact());
        }
        assertThat(delivery.toString()).contains("redacted");
    }

    @Test
    void deliverWhenSigningKeyIsMissingThenNothingIsWritten() throws Exception {
        TokenProfile eddsa = TokenProfile.parse("tokens:\n  - {audiences: [a], algorithm: EdDSA}\n", "c");
        Path dir = temp.resolve("tokens");

        assertThatThrownBy(() -> preflight().deliver(metadata, eddsa, dir, bundle)).isInstanceOf(CiJwtException.class);
        assertThat(dir).doesNotExist();
        assertThat(bundle.resolve("config.json")).hasContent(TASK_SPEC);
        assertThat(records.all()).isEmpty();
    }

    @Test
    void tokensAreDatedByTheInjectedClock() throws Exception {
        TokenDelivery.Delivery delivery = new TokenDelivery(() -> ring, Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"),
                java.time.ZoneOffset.UTC), records).prepare(metadata, config, temp.resolve("tokens"));

        assertThat(delivery.defaultToken().issuedAt()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(delivery.defaultToken().expiresAt()).isEqualTo("2026-01-01T00:10:00Z");
    }
}
