package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.FileOwner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The state directory of delivery records: only ci-jwt's own user can have written what it trusts. */
class DeliveryRecordsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private static DeliveryRecord record(String key, Path tokenDirectory) {
        SpecPatch patch = new SpecPatch(List.of(SpecPatch.AddedVariable.of("CONCOURSE_CI_JWT", "not-a-token")),
                new SpecPatch.TokenMount(DeliveryPlan.CONTAINER_TOKEN_DIR, tokenDirectory.toString(), DeliveryPlan.MOUNT_OPTIONS),
                Set.of(SpecPatch.CreatedField.MOUNTS));
        return new DeliveryRecord(key, Path.of("/run/bundles/b1"), DeliveryRecord.Status.DELIVERED, tokenDirectory,
                List.of("jwt", "aws"), new FileOwner(1000, 1000), patch, SpecPatch.sha256("{}"));
    }

    private static ErrorCode codeOf(Throwable e) {
        return ((CiJwtException) e).code();
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void openWhenMissingThenTheDirectoryAndItsNewParentsAre0700() throws Exception {
        DeliveryRecords records = DeliveryRecords.open(temp.resolve("run/ci-jwt/preflight"));

        assertThat(records.directory()).isDirectory();
        assertThat(mode(records.directory())).isEqualTo("rwx------");
        assertThat(mode(temp.resolve("run/ci-jwt"))).isEqualTo("rwx------");
        assertThat(records.all()).isEmpty();
    }

    @Test
    void putThenFindGivesTheSameRecordFromAnOwnerOnlyFile() throws Exception {
        DeliveryRecords records = DeliveryRecords.open(temp.resolve("state"));
        DeliveryRecord record = record("bundle:/run/bundles/b1", Path.of("/run/bundles/b1/ci-jwt-tokens"));

        records.put(record);

        assertThat(records.find(record.key())).contains(record);
        assertThat(records.all()).containsExactly(record);
        assertThat(mode(records.fileOf(record.key()))).isEqualTo("rw-------");
        assertThat(records.fileOf(record.key()).getFileName().toString()).matches("[0-9a-f]{64}\\.json");
        records.remove(record.key());
        assertThat(records.find(record.key())).isEmpty();
    }

    @Test
    void openWhenOthersCanWriteTheStateDirectoryThenRecordInvalidWithTheFix() throws Exception {
        Path dir = Files.createDirectory(temp.resolve("state"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(() -> DeliveryRecords.open(dir))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_RECORD_INVALID))
                .hasMessage("state directory " + dir + " is writable by group or others (rwxrwxrwx); run: chmod 700 " + dir);
    }

    @Test
    void openWhenADirectoryAboveIsWritableByOthersThenRecordInvalid() throws Exception {
        Path open = Files.createDirectory(temp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxr-x"));

        assertThatThrownBy(() -> DeliveryRecords.open(open.resolve("state")))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_RECORD_INVALID))
                .hasMessageContaining(open + " is writable by group or others (rwxrwxr-x)");
    }

    @Test
    void openWhenTheStateDirectoryIsASymbolicLinkThenRecordInvalid() throws Exception {
        Path real = Files.createDirectory(temp.resolve("real"));
        Path link = Files.createSymbolicLink(temp.resolve("state"), real);

        assertThatThrownBy(() -> DeliveryRecords.open(link))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_RECORD_INVALID))
                .hasMessage("state directory " + link + " is not a directory");
    }

    @Test
    void openWhenTheStateDirectoryIsAnotherUsersThenRecordInvalid() throws Exception {
        assumeTrue(FileOwner.thisProcessIsRoot(), "making a directory another user's needs root");
        Path dir = Files.createDirectory(temp.resolve("state"));
        new FileOwner(1000, 1000).applyTo(dir);

        assertThatThrownBy(() -> DeliveryRecords.open(dir))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_RECORD_INVALID))
                .hasMessage("state directory " + dir + " is owned by uid 1000, not by uid 0 that ci-jwt runs as");
    }

    @Test
    void findWhenTheRecordFileIsWritableByOthersThenRecordInvalid() throws Exception {
        DeliveryRecords records = DeliveryRecords.open(temp.resolve("state"));
        DeliveryRecord record = record("bundle:/b", Path.of("/t"));
        records.put(record);
        Files.setPosixFilePermissions(records.fileOf(record.key()), PosixFilePermissions.fromString("rw-rw-rw-"));

        assertThatThrownBy(() -> records.find(record.key()))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_RECORD_INVALID))
                .hasMessageContaining("is writable by group or others (rw-rw-rw-); ci-jwt does not trust it");
    }

    @Test
    void findWhenTheRecordFileIsAnotherUsersThenRecordInvalid() throws Exception {
        assumeTrue(FileOwner.thisProcessIsRoot(), "making a file another user's needs root");
        DeliveryRecords records = DeliveryRecords.open(temp.resolve("state"));
        DeliveryRecord record = record("bundle:/b", Path.of("/t"));
        records.put(record);
        new FileOwner(1000, 1000).applyTo(records.fileOf(record.key()));

        assertThatThrownBy(() -> records.find(record.key()))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_RECORD_INVALID))
                .hasMessageContaining("is owned by uid 1000");
    }

    @Test
    void findWhenTheRecordIsFiledUnderAnotherKeyThenRecordInvalid() throws Exception {
        DeliveryRecords records = DeliveryRecords.open(temp.resolve("state"));
        DeliveryRecord theirs = record("bundle:/theirs", Path.of("/theirs/tokens"));
        records.put(theirs);
        Files.move(records.fileOf(theirs.key()), records.fileOf("bundle:/mine"));

        assertThatThrownBy(() -> records.find("bundle:/mine"))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_RECORD_INVALID))
                .hasMessageContaining("is the record of bundle:/theirs");
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "[]", "{}", "{\"version\": 1, \"version\": 1}"})
    void parseWhenTheRecordIsNotARecordThenRecordInvalid(String json) {
        assertThatThrownBy(() -> DeliveryRecord.parse(json, "test"))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_RECORD_INVALID))
                .hasMessageStartingWith("delivery record test ")
                .hasMessageEndingWith("; ci-jwt does not trust it");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "version | 2", "extra | true", "status | \"done\"", "key | 7", "tokenDirectory | \"relative/dir\"",
        "bundle | \"/a/../b\"", "tokenFiles | [\"../etc\"]", "reader | {\"uid\": -1, \"gid\": 0}",
        "reader | {\"uid\": 0}", "specSha256 | \"abc\"", "created | [\"annotations\"]",
        "mount | {\"destination\": \"/etc\", \"source\": \"/t\", \"options\": []}",
        "mount | {\"destination\": \"/var/run/secrets/concourse-ci\", \"source\": \"/elsewhere\", \"options\": []}",
        "variables | [{\"name\": \"A=B\", \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}]"})
    void parseWhenAFieldIsNotAsCiJwtWritesItThenRecordInvalid(String field, String value) throws Exception {
        ObjectNode stored = (ObjectNode) JSON.readTree(record("bundle:/b", Path.of("/t")).toJson());
        stored.set(field, JSON.readTree(value));

        assertThatThrownBy(() -> DeliveryRecord.parse(stored.toString(), "test"))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.DELIVERY_RECORD_INVALID))
                .hasMessageStartingWith("delivery record test ")
                .hasMessageEndingWith("; ci-jwt does not trust it");
    }

    @Test
    void toJsonThenParseGivesTheSameRecord() throws Exception {
        DeliveryRecord record = record("container:abc-1", Path.of("/run/tokens/abc-1"));

        assertThat(DeliveryRecord.parse(record.toJson(), "test")).isEqualTo(record);
        assertThat(record.toJson()).doesNotContain("not-a-token");
    }

    @Test
    void defaultDirectoryIsUnderRunForRootAndTheUsersRuntimeOrHomeDirectoryOtherwise() {
        Path home = Path.of("/home/dev");

        assertThat(DeliveryRecords.defaultDirectory(true, Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), home))
                .isEqualTo(Path.of("/run/ci-jwt/preflight"));
        assertThat(DeliveryRecords.defaultDirectory(false, Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), home))
                .isEqualTo(Path.of("/run/user/1000/ci-jwt/preflight"));
        assertThat(DeliveryRecords.defaultDirectory(false, Map.of(), home)).isEqualTo(Path.of("/home/dev/.ci-jwt/preflight"));
    }

    @Test
    void containerKeyWhenTheIdIsNotAContainerIdThenRefused() {
        assertThat(DeliveryRecords.containerKey("build-42.task_1")).isEqualTo("container:build-42.task_1");
        assertThatThrownBy(() -> DeliveryRecords.containerKey("../x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DeliveryRecords.containerKey("")).isInstanceOf(IllegalArgumentException.class);
    }
}
