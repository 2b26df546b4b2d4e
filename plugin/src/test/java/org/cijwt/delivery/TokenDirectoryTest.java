package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenDirectoryTest {

    private static final String TOKEN = "test-token-not-a-secret";

    @TempDir
    Path temp;

    @Test
    void createWhenMissingThenDirectoryExistsWithMode0555() throws IOException {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("a/b/tokens"));

        assertThat(dir.path()).isDirectory().isAbsolute();
        assertThat(Files.getPosixFilePermissions(dir.path())).isEqualTo(TokenDirectory.DIRECTORY_MODE);
    }

    @Test
    void createWhenPathIsSymbolicLinkThenRefuses() throws IOException {
        Path real = Files.createDirectory(temp.resolve("real"));
        Path link = Files.createSymbolicLink(temp.resolve("link"), real);

        assertThatThrownBy(() -> TokenDirectory.create(link))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(link.toString())
                .hasMessageContaining("is not a directory");
    }

    @Test
    void writeThenFileIs0444WithTheTokenAndDirectoryIsBackTo0555() throws IOException {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"));

        Path file = dir.write("jwt", TOKEN);

        assertThat(file).isEqualTo(dir.path().resolve("jwt")).hasContent(TOKEN);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(TokenDirectory.FILE_MODE);
        assertThat(Files.getPosixFilePermissions(dir.path())).isEqualTo(TokenDirectory.DIRECTORY_MODE);
    }

    @Test
    void writeWhenReplacingThenNewContentAndNoTemporaryFilesRemain() throws IOException {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"));
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
    void writeWhenNameIsInvalidThenErrorNamesTheNameAndNotTheToken(String name) throws IOException {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"));

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
    void writeWhenNameIsValidThenFileHasThatName(String name) throws IOException {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"));

        assertThat(dir.write(name, TOKEN)).hasFileName(name).hasContent(TOKEN);
    }

    @Test
    void writeWhenTokenIsEmptyThenRefuses() throws IOException {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"));

        assertThatThrownBy(() -> dir.write("jwt", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token jwt is empty");
    }

    @Test
    void writeWhenDirectoryVanishedThenErrorDoesNotContainTheToken() throws IOException {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"));
        dir.delete();

        assertThatThrownBy(() -> dir.write("jwt", TOKEN))
                .isInstanceOf(IOException.class)
                .hasMessageNotContaining(TOKEN);
    }

    @Test
    void deleteThenDirectoryAndFilesAreGoneAndDeletingAgainIsFine() throws IOException {
        TokenDirectory dir = TokenDirectory.create(temp.resolve("tokens"));
        dir.write("jwt", TOKEN);
        dir.write("aws", TOKEN);

        dir.delete();

        assertThat(dir.path()).doesNotExist();
        assertThatCode(dir::delete).doesNotThrowAnyException();
    }

    @Test
    void createWhenDirectoryExistsThenItIsReusedWithItsTokens() throws IOException {
        TokenDirectory first = TokenDirectory.create(temp.resolve("tokens"));
        first.write("jwt", TOKEN);

        TokenDirectory again = TokenDirectory.create(temp.resolve("tokens"));

        assertThat(again.file("jwt")).hasContent(TOKEN);
        assertThat(again.toString()).doesNotContain(TOKEN);
    }
}
