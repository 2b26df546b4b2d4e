package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.FileOwner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenDirectoryTest {

    private static final String TOKEN = "test-token-not-a-secret";

    @TempDir
    Path temp;

    /** Files for this process's own user, as the demo's plain-process fallback writes them. */
    private static TokenAccess own() throws Exception {
        return TokenAccess.forReader(FileOwner.ofThisProcess());
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void createWhenMissingThenDirectoryHasTheAccessModeAndTheParentsItCreatedAre0700() throws Exception {
        TokenAccess access = own();

        TokenDirectory dir = TokenDirectory.create(temp.resolve("a/b/tokens"), access);

        assertThat(dir.path()).isDirectory().isAbsolute();
        assertThat(Files.getPosixFilePermissions(dir.path())).isEqualTo(access.directoryMode());
        assertThat(mode(dir.path())).endsWith("---");
        assertThat(mode(temp.resolve("a"))).isEqualTo("rwx------");
        assertThat(mode(temp.resolve("a/b"))).isEqualTo("rwx------");
    }

    @Test
    void createWhenPathIsSymbolicLinkThenRefusesAndFollowsNothing() throws Exception {
        Path real = Files.createDirectory(temp.resolve("real"));
        Path link = Files.createSymbolicLink(temp.resolve("link"), real);
        String before = mode(real);

        assertThatThrownBy(() -> TokenDirectory.create(link, own()))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining(link.toString());
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(mode(real)).isEqualTo(before);
    }

    @Test
    void openWhenPathIsSymbolicLinkThenRefuses() throws Exception {
        Path real = Files.createDirectory(temp.resolve("real"));
        Path link = Files.createSymbolicLink(temp.resolve("link"), real);

        assertThatThrownBy(() -> TokenDirectory.open(link, own()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(link.toString())
                .hasMessageContaining("is not a directory");
    }

    @Test
    void writeThenFileIs0400WithTheTokenAndDirectoryIsBackToItsMode() throws Exception {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"), own());

        Path file = dir.write("jwt", TOKEN);

        assertThat(file).isEqualTo(dir.path().resolve("jwt")).hasContent(TOKEN);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(TokenDirectory.FILE_MODE);
        assertThat(mode(file)).isEqualTo("r--------");
        assertThat(Files.getPosixFilePermissions(dir.path())).isEqualTo(dir.access().directoryMode());
    }

    @Test
    void createAndWriteAsRootForAnotherUserThenTheDirectoryStaysRootsAndTheFileIsTheTasksAlone() throws Exception {
        assumeTrue(FileOwner.thisProcessIsRoot(), "giving files to another user needs root");
        TokenAccess access = TokenAccess.forReader(new FileOwner(1000, 1001));

        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"), access);
        Path file = dir.write("jwt", TOKEN);
        dir.write("jwt", TOKEN + "-2");

        assertThat(FileOwner.of(dir.path())).isEqualTo(new FileOwner(0, 1001));
        assertThat(mode(dir.path())).isEqualTo("r-xr-x---");
        assertThat(FileOwner.of(file)).isEqualTo(new FileOwner(1000, 1001));
        assertThat(mode(file)).isEqualTo("r--------");
        assertThat(file).hasContent(TOKEN + "-2");
    }

    @Test
    void accessWhenNotRootThenOnlyItsOwnUserOrRootCanBeGivenTheFiles() throws Exception {
        FileOwner self = new FileOwner(1000, 1000);

        assertThat(TokenAccess.forReader(new FileOwner(1000, 1000), self).fileOwner()).isEqualTo(self);
        assertThat(TokenAccess.forReader(FileOwner.ROOT, self).directoryMode()).isEqualTo(TokenAccess.OWN_DIRECTORY_MODE);
        assertThatThrownBy(() -> TokenAccess.forReader(new FileOwner(2000, 2000), self))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.DELIVERY_FAILED))
                .hasMessageContaining("host user 2000:2000");
        TokenAccess asRoot = TokenAccess.forReader(new FileOwner(2000, 2001), FileOwner.ROOT);
        assertThat(asRoot.directoryOwner()).isEqualTo(new FileOwner(0, 2001));
        assertThat(asRoot.directoryMode()).isEqualTo(TokenAccess.ROOT_DIRECTORY_MODE);
        assertThat(asRoot.fileOwner()).isEqualTo(new FileOwner(2000, 2001));
    }

    @Test
    void writeWhenReplacingThenNewContentAndNoTemporaryFilesRemain() throws Exception {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"), own());
        dir.write("jwt", "first");
        dir.write("aws", "other");

        dir.write("jwt", "second");

        assertThat(dir.file("jwt")).hasContent("second");
        try (Stream<Path> files = Files.list(dir.path())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("jwt", "aws");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "Jwt", "-jwt", "_jwt", ".jwt", "a/b", "../jwt", "jwt token", "jwt\n",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void writeWhenNameIsInvalidThenErrorNamesTheNameAndNotTheToken(String name) throws Exception {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"), own());

        assertThatThrownBy(() -> dir.write(name, TOKEN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid token name \"" + name + "\"")
                .hasMessageNotContaining(TOKEN);
        try (Stream<Path> files = Files.list(dir.path())) {
            assertThat(files).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jwt", "aws", "0", "vault.prod", "sts_aws-2",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void writeWhenNameIsValidThenFileHasThatName(String name) throws Exception {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"), own());

        assertThat(dir.write(name, TOKEN)).hasFileName(name).hasContent(TOKEN);
    }

    @Test
    void writeWhenTokenIsEmptyThenRefuses() throws Exception {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"), own());

        assertThatThrownBy(() -> dir.write("jwt", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token jwt is empty");
    }

    @Test
    void writeWhenDirectoryVanishedThenErrorDoesNotContainTheToken() throws Exception {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"), own());
        dir.delete();

        assertThatThrownBy(() -> dir.write("jwt", TOKEN))
                .isInstanceOf(IOException.class)
                .hasMessageNotContaining(TOKEN);
    }

    @Test
    void deleteThenDirectoryAndFilesAreGoneAndDeletingAgainIsFine() throws Exception {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"), own());
        dir.write("jwt", TOKEN);
        dir.write("aws", TOKEN);

        dir.delete();

        assertThat(dir.path()).doesNotExist();
        assertThatCode(dir::delete).doesNotThrowAnyException();
    }

    @Test
    void createWhenDirectoryExistsThenRefusedAndItIsLeftUntouched() throws Exception {
        // Changed with M2: an existing directory used to be taken over, emptied of other files and opened up.
        Path ssh = Files.createDirectory(temp.resolve("ssh"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.writeString(ssh.resolve("id_rsa"), "not-a-real-key");

        assertThatThrownBy(() -> TokenDirectory.create(ssh, own())).isInstanceOf(FileAlreadyExistsException.class);

        assertThat(mode(ssh)).isEqualTo("rwx------");
        assertThat(ssh.resolve("id_rsa")).hasContent("not-a-real-key");
        try (Stream<Path> files = Files.list(ssh)) {
            assertThat(files).containsExactly(ssh.resolve("id_rsa"));
        }
    }

    @Test
    void openWhenDirectoryExistsThenItIsReusedWithItsTokens() throws Exception {
        TokenDirectory first = TokenDirectory.create(temp.resolve("tokens"), own());
        first.write("jwt", TOKEN);

        TokenDirectory again = TokenDirectory.open(temp.resolve("tokens"), own());

        assertThat(again.file("jwt")).hasContent(TOKEN);
        assertThat(again.toString()).doesNotContain(TOKEN);
    }

    @Test
    void removeFilesThenOnlyTheNamedFilesAndTheirTempFilesGoAndTheEmptyDirectoryWithThem() throws Exception {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"), own());
        dir.write("jwt", TOKEN);
        dir.write("aws", TOKEN);
        Files.setPosixFilePermissions(dir.path(), PosixFilePermissions.fromString("rwx------"));
        Files.writeString(dir.path().resolve(".jwt.12345.tmp"), "left by a crash");

        TokenDirectory.Removal removal = TokenDirectory.removeFiles(dir.path(), List.of("jwt", "aws"));

        assertThat(removal).isEqualTo(new TokenDirectory.Removal(true, List.of()));
        assertThat(dir.path()).doesNotExist();
        assertThat(TokenDirectory.removeFiles(dir.path(), List.of("jwt"))).isEqualTo(new TokenDirectory.Removal(false, List.of()));
    }

    @Test
    void removeFilesWhenTheDirectoryHoldsOtherEntriesThenTheyAndTheDirectoryStay() throws Exception {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"), own());
        dir.write("jwt", TOKEN);
        Files.setPosixFilePermissions(dir.path(), PosixFilePermissions.fromString("rwx------"));
        Files.writeString(dir.path().resolve("id_rsa"), "not ours");
        Files.createDirectory(dir.path().resolve("aws"));

        TokenDirectory.Removal removal = TokenDirectory.removeFiles(dir.path(), List.of("jwt", "aws"));

        assertThat(removal).isEqualTo(new TokenDirectory.Removal(false, List.of("aws", "id_rsa")));
        assertThat(dir.path().resolve("jwt")).doesNotExist();
        assertThat(dir.path().resolve("id_rsa")).hasContent("not ours");
        assertThat(dir.path().resolve("aws")).isDirectory();
    }

    @Test
    void removeFilesWhenTheDirectoryIsAnotherUsersThenNothingIsTouched() throws Exception {
        assumeTrue(FileOwner.thisProcessIsRoot(), "making a directory another user's needs root");
        Path theirs = Files.createDirectory(temp.resolve("theirs"));
        Files.writeString(theirs.resolve("jwt"), "theirs");
        new FileOwner(1000, 1000).applyTo(theirs);

        assertThatThrownBy(() -> TokenDirectory.removeFiles(theirs, List.of("jwt")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("is owned by uid 1000");
        assertThat(theirs.resolve("jwt")).hasContent("theirs");
    }
}
