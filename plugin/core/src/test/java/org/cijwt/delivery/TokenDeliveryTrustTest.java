package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.io.FileOwner;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySources;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What pre-flight removes, takes over and exposes is decided by ci-jwt alone (issue 9): clean-up and re-runs
 * follow its own record, never {@code config.json} (M1); an existing directory is never taken over (M2); and
 * the token files are the task's user's alone (L5).
 */
class TokenDeliveryTrustTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-02T10:00:00Z"));
    private KeyRing ring;
    private BuildMetadata metadata;
    private TokenProfile config;
    private Path bundle;
    private Path configJson;
    private DeliveryRecords records;

    @BeforeEach
    void setUp() throws Exception {
        ring = KeySources.resolve(TestKeys.copyPrivate(TestKeys.P256, temp).toString(), KeySources.Options.defaults()).load();
        metadata = BuildMetadata.fromJsonFile(TestKeys.metadataFile("main", temp));
        config = TokenProfile.parse(TokenDeliveryTest.CONFIG, "test");
        bundle = Files.createDirectories(temp.resolve("bundle"));
        configJson = Files.writeString(bundle.resolve("config.json"), TokenDeliveryTest.TASK_SPEC);
        records = DeliveryRecords.open(temp.resolve("state"));
    }

    private TokenDelivery preflight() {
        return new TokenDelivery(() -> ring, clock, records);
    }

    private static ErrorCode codeOf(Throwable e) {
        return ((CiJwtException) e).code();
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    private static List<String> env(JsonNode spec) {
        List<String> env = new ArrayList<>();
        spec.get("process").get("env").forEach(e -> env.add(e.asText()));
        return env;
    }

    /** A directory that must survive: 0700 with a private key in it, as in the review's reproduction. */
    private Path victim() throws Exception {
        Path victim = Files.createDirectory(temp.resolve("victim"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.writeString(victim.resolve("id_rsa"), "not-a-real-key");
        return victim;
    }

    /**
     * The annotation ci-jwt used to write and trust, forged: it names {@code victim} as the token source, PATH
     * as an added variable and the task's own {@code /data} mount (of the victim) as ci-jwt's mount.
     */
    private static ObjectNode forge(ObjectNode spec, Path victim) {
        ObjectNode record = JSON.createObjectNode();
        record.put("version", 1);
        record.put("source", victim.toString());
        record.put("destination", "/data");
        record.putArray("env").add("PATH").add("CONCOURSE_CI_JWT");
        record.putArray("created").add("mounts");
        ObjectNode data = ((ArrayNode) spec.get("mounts")).addObject();
        data.put("destination", "/data");
        data.put("type", "bind");
        data.put("source", victim.toString());
        spec.withObjectProperty("annotations").put("org.cijwt.preflight", record.toString());
        return spec;
    }

    private static void assertUntouched(Path victim) throws Exception {
        assertThat(mode(victim)).isEqualTo("rwx------");
        assertThat(victim.resolve("id_rsa")).hasContent("not-a-real-key");
        try (Stream<Path> files = Files.list(victim)) {
            assertThat(files).containsExactly(victim.resolve("id_rsa"));
        }
    }

    // M1: clean-up and re-runs follow ci-jwt's own record

    @Test
    void cleanupWhenConfigJsonNamesAnotherDirectoryAsTheTokenSourceThenNothingIsRemovedOrStripped() throws Exception {
        Path victim = victim();
        Files.writeString(configJson, forge((ObjectNode) JSON.readTree(TokenDeliveryTest.TASK_SPEC), victim).toString());
        String before = Files.readString(configJson);

        TokenDelivery.Cleanup done = TokenDelivery.cleanup(records, bundle);

        assertThat(done).isEqualTo(TokenDelivery.Cleanup.NOTHING);
        assertUntouched(victim);
        assertThat(configJson).hasContent(before);
    }

    @Test
    void cleanupAfterConfigJsonWasRewrittenToNameAnotherDirectoryThenOnlyTheRecordedDeliveryIsUndone() throws Exception {
        Path victim = victim();
        Path dir = temp.resolve("tokens");
        TokenDelivery.Delivery delivery = preflight().deliver(metadata, config, dir, bundle);
        // The container's owner rewrites config.json after the delivery.
        Files.writeString(configJson, forge((ObjectNode) JSON.readTree(configJson.toFile()), victim).toString());

        TokenDelivery.Cleanup done = TokenDelivery.cleanup(records, bundle);

        assertUntouched(victim);
        assertThat(done.removedDirectory()).contains(dir);
        assertThat(dir).doesNotExist();
        JsonNode after = JSON.readTree(configJson.toFile());
        assertThat(env(after)).containsExactly("PATH=/bin");
        assertThat(after.get("mounts").toString()).contains("\"/data\"", victim.toString()).doesNotContain(dir.toString());
        assertThat(after.get("annotations").has("org.cijwt.preflight")).isTrue();
        assertThat(after.toString()).doesNotContain(delivery.defaultToken().compact());
        assertThat(records.all()).isEmpty();
    }

    @Test
    void deliverWhenConfigJsonCarriesAForgedDeliveryAnnotationThenNothingItListsIsRemoved() throws Exception {
        Path victim = victim();
        Files.writeString(configJson, forge((ObjectNode) JSON.readTree(TokenDeliveryTest.TASK_SPEC), victim).toString());

        preflight().deliver(metadata, config, temp.resolve("tokens"), bundle);

        JsonNode after = JSON.readTree(configJson.toFile());
        assertThat(env(after)).startsWith("PATH=/bin");
        assertThat(after.get("mounts").toString()).contains("\"/data\"", victim.toString());
        assertUntouched(victim);
    }

    @Test
    void cleanupWhenChangedEntriesNoLongerMatchTheRecordThenTheyStayAndAWarningNamesThem() throws Exception {
        preflight().deliver(metadata, config, temp.resolve("tokens"), bundle);
        ObjectNode spec = (ObjectNode) JSON.readTree(configJson.toFile());
        ArrayNode env = (ArrayNode) spec.get("process").get("env");
        env.set(1, env.textNode("CONCOURSE_CI_JWT=the-task-changed-it"));
        Files.writeString(configJson, spec.toString());

        TokenDelivery.Cleanup done = TokenDelivery.cleanup(records, bundle);

        assertThat(env(JSON.readTree(configJson.toFile()))).containsExactly("PATH=/bin", "CONCOURSE_CI_JWT=the-task-changed-it");
        assertThat(done.warnings()).singleElement().asString()
                .isEqualTo(configJson + " was changed since ci-jwt patched it; left as found: variable CONCOURSE_CI_JWT");
    }

    @Test
    void cleanupWhenConfigJsonMountsTheTokenPathButThereIsNoRecordThenRecordInvalidAndNothingChanges() throws Exception {
        preflight().deliver(metadata, config, temp.resolve("tokens"), bundle);
        String patched = Files.readString(configJson);
        DeliveryRecords elsewhere = DeliveryRecords.open(temp.resolve("other-state"));

        assertThatThrownBy(() -> TokenDelivery.cleanup(elsewhere, bundle))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_RECORD_INVALID))
                .hasMessageContaining(elsewhere.directory() + " has no record of a ci-jwt delivery into " + bundle);
        assertThat(configJson).hasContent(patched);
        assertThat(temp.resolve("tokens/jwt")).exists();
    }

    @Test
    void deliverAgainWithAnotherStateDirectoryThenItsEarlierMountIsAConflictNotSomethingToRemove() throws Exception {
        preflight().deliver(metadata, config, temp.resolve("tokens"), bundle);
        String patched = Files.readString(configJson);
        TokenDelivery other = new TokenDelivery(() -> ring, clock, DeliveryRecords.open(temp.resolve("other-state")));

        assertThatThrownBy(() -> other.deliver(metadata, config, temp.resolve("tokens"), bundle))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.MOUNT_CONFLICT));
        assertThat(configJson).hasContent(patched);
    }

    @Test
    void cleanupAfterACrashBeforeConfigJsonWasPatchedThenTheTokenFilesGoAndConfigJsonIsAsItWas() throws Exception {
        Path dir = temp.resolve("tokens");
        preflight().deliver(metadata, config, dir, bundle);
        DeliveryRecord delivered = records.find(DeliveryRecords.bundleKey(bundle)).orElseThrow();
        // What a crash after the token files and before config.json leaves: a pending record, files, the old spec.
        records.put(new DeliveryRecord(delivered.key(), delivered.bundle(), DeliveryRecord.Status.PENDING,
                delivered.tokenDirectory(), delivered.tokenFiles(), delivered.reader(), delivered.patch(),
                delivered.specSha256()));
        Files.writeString(configJson, TokenDeliveryTest.TASK_SPEC);

        TokenDelivery.Cleanup done = TokenDelivery.cleanup(records, bundle);

        assertThat(done).isEqualTo(new TokenDelivery.Cleanup(false, Optional.of(dir), List.of()));
        assertThat(dir).doesNotExist();
        assertThat(configJson).hasContent(TokenDeliveryTest.TASK_SPEC);
        assertThat(records.all()).isEmpty();
    }

    @Test
    void deliverThenTheRecordNamesWhatWasDeliveredButHoldsNoToken() throws Exception {
        Path dir = temp.resolve("tokens");
        TokenDelivery.Delivery delivery = preflight().deliver(metadata, config, dir, bundle);

        DeliveryRecord record = records.find(DeliveryRecords.bundleKey(bundle)).orElseThrow();
        String stored = Files.readString(records.fileOf(record.key()));

        assertThat(record.status()).isEqualTo(DeliveryRecord.Status.DELIVERED);
        assertThat(record.bundle()).isEqualTo(bundle.toRealPath());
        assertThat(record.tokenDirectory()).isEqualTo(dir);
        assertThat(record.tokenFiles()).containsExactly("jwt", "aws");
        assertThat(record.reader()).isEqualTo(FileOwner.ROOT);
        assertThat(record.patch().variables()).extracting(SpecPatch.AddedVariable::name)
                .containsExactly("CONCOURSE_CI_JWT", "CONCOURSE_CI_JWT_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE");
        assertThat(record.specSha256()).isEqualTo(SpecPatch.sha256(Files.readAllBytes(configJson)));
        assertThat(mode(records.fileOf(record.key()))).isEqualTo("rw-------");
        for (var token : delivery.tokens().values()) {
            assertThat(stored).doesNotContain(token.compact());
        }
    }

    // M2: an existing directory is never taken over

    @Test
    void deliverWhenTheTokenDirectoryExistsThenTokenDirRefusedAndItIsLeftUntouched() throws Exception {
        Path victim = victim();

        assertThatThrownBy(() -> preflight().deliver(metadata, config, victim, bundle))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.TOKEN_DIR_REFUSED))
                .hasMessage("token directory " + victim + " already exists and ci-jwt did not create it for this container;"
                        + " it was left untouched (give a path that does not exist yet)");

        assertUntouched(victim);
        assertThat(configJson).hasContent(TokenDeliveryTest.TASK_SPEC);
        assertThat(records.all()).isEmpty();
    }

    @Test
    void deliverWhenTheTokenDirectoryIsAnotherBundlesThenTokenDirRefusedAndThatDeliveryIsIntact() throws Exception {
        Path dir = temp.resolve("tokens");
        TokenDelivery.Delivery first = preflight().deliver(metadata, config, dir, bundle);
        Path second = Files.createDirectories(temp.resolve("bundle2"));
        Files.writeString(second.resolve("config.json"), TokenDeliveryTest.TASK_SPEC);

        assertThatThrownBy(() -> preflight().deliver(metadata, config, dir, second))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.TOKEN_DIR_REFUSED));

        assertThat(dir.resolve("jwt")).hasContent(first.defaultToken().compact());
        assertThat(second.resolve("config.json")).hasContent(TokenDeliveryTest.TASK_SPEC);
    }

    @Test
    void prepareWhenTheTokenDirectoryExistsThenTokenDirRefusedAndItIsLeftUntouched() throws Exception {
        Path victim = victim();

        assertThatThrownBy(() -> preflight().prepare(metadata, config, victim))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.TOKEN_DIR_REFUSED));

        assertUntouched(victim);
    }

    @Test
    void deliverWhenADirectoryAboveTheTokenDirectoryIsWritableByOthersThenTokenDirRefused() throws Exception {
        Path open = Files.createDirectory(temp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(() -> preflight().deliver(metadata, config, open.resolve("deeper/tokens"), bundle))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.TOKEN_DIR_REFUSED))
                .hasMessageContaining(open + " is writable by group or others (rwxrwxrwx)");
        assertThat(open.resolve("deeper")).doesNotExist();

        // With the sticky bit, as on /tmp, nobody can rename what is not theirs: accepted.
        Files.setAttribute(open, "unix:mode", 01777);
        assertThat(preflight().deliver(metadata, config, open.resolve("deeper/tokens"), bundle).directory().path())
                .isDirectory();
    }

    // L5: the token files are the task's user's alone

    @Test
    void deliverWhenTheTaskRunsAsAnotherUserThenTheFilesAreThatUsersAloneAndTheParentsAreRoots() throws Exception {
        assumeTrue(FileOwner.thisProcessIsRoot(), "giving the files to the task's user needs root");
        ObjectNode spec = (ObjectNode) JSON.readTree(TokenDeliveryTest.TASK_SPEC);
        ((ObjectNode) spec.get("process")).putObject("user").put("uid", 1000).put("gid", 1001);
        Files.writeString(configJson, spec.toString());
        Path dir = temp.resolve("a/b/tokens");

        preflight().deliver(metadata, config, dir, bundle);

        assertThat(FileOwner.of(dir)).isEqualTo(new FileOwner(0, 1001));
        assertThat(mode(dir)).isEqualTo("r-xr-x---");
        for (String name : List.of("jwt", "aws")) {
            assertThat(FileOwner.of(dir.resolve(name))).isEqualTo(new FileOwner(1000, 1001));
            assertThat(mode(dir.resolve(name))).isEqualTo("r--------");
        }
        for (Path parent : List.of(temp.resolve("a"), temp.resolve("a/b"))) {
            assertThat(FileOwner.of(parent).uid()).isZero();
            assertThat(mode(parent)).isEqualTo("rwx------");
        }
        assertThat(records.find(DeliveryRecords.bundleKey(bundle)).orElseThrow().reader()).isEqualTo(new FileOwner(1000, 1001));
    }

    @Test
    void deliverWhenTheTaskRunsInAUserNamespaceThenTheFilesGoToItsMappedHostUser() throws Exception {
        assumeTrue(FileOwner.thisProcessIsRoot(), "giving the files to the task's user needs root");
        ObjectNode spec = (ObjectNode) JSON.readTree(TokenDeliveryTest.TASK_SPEC);
        ((ObjectNode) spec.get("process")).putObject("user").put("uid", 1000).put("gid", 1000);
        ObjectNode linux = spec.putObject("linux");
        linux.putArray("namespaces").addObject().put("type", "user");
        linux.putArray("uidMappings").addObject().put("containerID", 0).put("hostID", 100000).put("size", 65536);
        linux.putArray("gidMappings").addObject().put("containerID", 0).put("hostID", 200000).put("size", 65536);
        Files.writeString(configJson, spec.toString());
        Path dir = temp.resolve("tokens");

        preflight().deliver(metadata, config, dir, bundle);

        assertThat(FileOwner.of(dir)).isEqualTo(new FileOwner(0, 201000));
        assertThat(FileOwner.of(dir.resolve("jwt"))).isEqualTo(new FileOwner(101000, 201000));
    }

    @Test
    void deliverWhenTheTaskUserIsNotAValidIdThenBundleInvalidAndNothingIsWritten() throws Exception {
        String spec = TokenDeliveryTest.TASK_SPEC.replace("\"cwd\": \"/\"", "\"cwd\": \"/\", \"user\": {\"uid\": -5, \"gid\": 0}");
        Files.writeString(configJson, spec);
        Path dir = temp.resolve("tokens");

        assertThatThrownBy(() -> preflight().deliver(metadata, config, dir, bundle))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.BUNDLE_INVALID))
                .hasMessage("config.json field process.user.uid is -5, outside 0 to 4294967294");
        assertThat(dir).doesNotExist();
        assertThat(configJson).hasContent(spec);
        assertThat(records.all()).isEmpty();
    }

    // The other codes of a delivery

    @Test
    void deliverWhenTheBundleIsMissingOrHasNoConfigJsonThenBundleInvalid() throws Exception {
        assertThatThrownBy(() -> preflight().deliver(metadata, config, temp.resolve("tokens"), temp.resolve("nothing")))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.BUNDLE_INVALID))
                .hasMessage("bundle " + temp.resolve("nothing") + " is not a directory");
        Files.delete(configJson);
        assertThatThrownBy(() -> preflight().deliver(metadata, config, temp.resolve("tokens"), bundle))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.BUNDLE_INVALID))
                .hasMessageEndingWith("config.json does not exist");
        assertThat(temp.resolve("tokens")).doesNotExist();
    }

    @Test
    void deliverWhenTheTokenDirectoryCannotBeCreatedThenDeliveryFailedAndNothingIsLeft() throws Exception {
        Path file = Files.writeString(temp.resolve("a-file"), "x");

        assertThatThrownBy(() -> preflight().deliver(metadata, config, file.resolve("tokens"), bundle))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_FAILED))
                .hasMessageStartingWith("cannot create token directory " + file.resolve("tokens"));
        assertThat(configJson).hasContent(TokenDeliveryTest.TASK_SPEC);
        assertThat(records.all()).isEmpty();
    }
}
