package org.cijwt.concourse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.cijwt.config.SettingException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.launch.LoopbackPorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Concourse settings' rules, the password file's, and what the client says when nothing answers. */
class ConcourseSettingsTest {
    private static final String PASSWORD = "s3cret-Pa55 word";

    @TempDir
    Path dir;

    private Path passwordFile(String content, String mode) throws IOException {
        Path f = dir.resolve("password-" + UUID.randomUUID());
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    private Path goodPasswordFile() throws IOException {
        return passwordFile(PASSWORD + "\n", "rw-------");
    }

    @Test
    void urlWhenPlainHttpToAHostThatIsNotLoopbackThenRefusedNamingTheSetting() throws Exception {
        Path pw = goodPasswordFile();
        for (String url : List.of("http://ci.example.com", "http://10.0.0.1:8080", "http://127.0.0.1.nip.io")) {
            assertThatThrownBy(() -> ConcourseSettings.of(url, "viewer", pw, null, null))
                    .isInstanceOf(SettingException.class)
                    .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.SETTING_INVALID))
                    .hasMessageStartingWith("setting concourse_url: ")
                    .hasMessageContaining("use https");
        }
    }

    @Test
    void urlWhenLoopbackHttpOrAnyHttpsThenAcceptedWithoutATrailingSlash() throws Exception {
        Path pw = goodPasswordFile();
        assertThat(ConcourseSettings.of("http://127.0.0.1:8080/", "viewer", pw, null, null).url())
                .hasToString("http://127.0.0.1:8080");
        assertThat(ConcourseSettings.of("http://[::1]:9000", "viewer", pw, null, null).url().getPort()).isEqualTo(9000);
        assertThat(ConcourseSettings.of("http://localhost:9000", "viewer", pw, null, null).url().getHost()).isEqualTo("localhost");
        assertThat(ConcourseSettings.of("HTTPS://ci.example.com", "viewer", pw, null, null).url())
                .hasToString("https://ci.example.com");
    }

    @Test
    void urlWhenItHasAPathCredentialsOrIsNotHttpThenRefused() throws Exception {
        Path pw = goodPasswordFile();
        for (String url : List.of("https://ci.example.com/concourse", "https://admin:pw@ci.example.com",
                "https://ci.example.com?x=1", "ftp://ci.example.com", "ci.example.com", "")) {
            assertThatThrownBy(() -> ConcourseSettings.of(url, "viewer", pw, null, null))
                    .as(url)
                    .isInstanceOf(SettingException.class)
                    .hasMessageStartingWith("setting concourse_url: ")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(":pw@"));
        }
    }

    @Test
    void caFileWhenGivenWithAnHttpUrlThenRefusedAsAConflict() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "not used");
        assertThatThrownBy(() -> ConcourseSettings.of("http://127.0.0.1:8080", "viewer", goodPasswordFile(), ca, null))
                .isInstanceOf(SettingException.class)
                .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.OPTIONS_CONFLICT))
                .hasMessageStartingWith("setting concourse_ca_file: is for an https concourse_url");
    }

    @Test
    void caFileWhenItHoldsNoCertificateThenTheClientIsRefusedWithCj407() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        ConcourseSettings settings = ConcourseSettings.of("https://ci.example.com", "viewer", goodPasswordFile(), ca, null);

        assertThatThrownBy(() -> ConcourseClient.create(settings))
                .isInstanceOf(CiJwtException.class)
                .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.TLS_INVALID))
                .hasMessageContaining("setting concourse_ca_file: file " + ca).hasMessageContaining("holds no readable PEM X.509 certificate");
    }

    @Test
    void passwordFileWhenGroupOrOthersMayReadOrWriteItThenRefusedWithTheFixAndWithoutItsContent() throws Exception {
        for (String mode : List.of("rw-r--r--", "rw-r-----", "rw-----w-", "rw--w----")) {
            Path pw = passwordFile(PASSWORD, mode);
            assertThatThrownBy(() -> ConcourseSettings.of("http://127.0.0.1:8080", "viewer", pw, null, null))
                    .as(mode)
                    .isInstanceOf(CiJwtException.class)
                    .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.CONCOURSE_PASSWORD_FILE))
                    .hasMessageContaining("concourse_password_file " + pw + " is accessible by group or others (" + mode + ")")
                    .hasMessageContaining("chmod 600 " + pw)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
        }
    }

    @Test
    void passwordFileWhenMissingOrEmptyThenRefusedWithCj803() throws Exception {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> ConcourseSettings.of("http://127.0.0.1:8080", "viewer", missing, null, null))
                .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.CONCOURSE_PASSWORD_FILE))
                .hasMessage("concourse_password_file " + missing + " does not exist");
        Path empty = passwordFile("\n", "rw-------");
        assertThatThrownBy(() -> ConcourseSettings.of("http://127.0.0.1:8080", "viewer", empty, null, null))
                .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.CONCOURSE_PASSWORD_FILE))
                .hasMessageContaining("is empty");
    }

    @Test
    void passwordFileWhenReadThenItsFirstLineIsThePasswordAsWritten() throws Exception {
        assertThat(PasswordFile.read(passwordFile(PASSWORD + "\r\nsecond line\n", "r--------"))).isEqualTo(PASSWORD);
        assertThat(PasswordFile.read(passwordFile(" spaced ", "rw-------"))).isEqualTo(" spaced ");
    }

    @Test
    void userAndTimeoutWhenOutsideTheirRulesThenRefusedNamingTheSetting() throws Exception {
        Path pw = goodPasswordFile();
        assertThatThrownBy(() -> ConcourseSettings.of("http://127.0.0.1:8080", " ", pw, null, null))
                .hasMessage("setting concourse_user: is required with concourse_url");
        assertThatThrownBy(() -> ConcourseSettings.of("http://127.0.0.1:8080", "a\u001b[2Jb", pw, null, null))
                .hasMessageStartingWith("setting concourse_user: 'a\\u001B[2Jb'");
        assertThatThrownBy(() -> ConcourseSettings.of("http://127.0.0.1:8080", "viewer", pw, null, Duration.ofMinutes(2)))
                .hasMessageStartingWith("setting concourse_timeout: ");
        assertThat(ConcourseSettings.of("http://127.0.0.1:8080", "viewer", pw, null, null).timeout())
                .isEqualTo(ConcourseSettings.DEFAULT_TIMEOUT);
    }

    @Test
    void identifyWhenNothingListensThenCj801NamesConcourseAndTheReasonButNoSecret() throws Exception {
        int port = LoopbackPorts.free();
        ConcourseSettings settings = ConcourseSettings.of("http://127.0.0.1:" + port, "viewer", goodPasswordFile(), null,
                Duration.ofSeconds(2));
        try (ConcourseClient client = ConcourseClient.create(settings)) {
            assertThatThrownBy(() -> client.identify(UUID.randomUUID().toString()))
                    .isInstanceOf(CiJwtException.class)
                    .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.CONCOURSE_UNAVAILABLE))
                    .hasMessage("Concourse at http://127.0.0.1:" + port + " did not answer the login of user 'viewer': connection refused")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
        }
    }

    @Test
    void identifyWhenSomethingAcceptsButNeverAnswersThenCj801WithinTheTimeout() throws Exception {
        ConcourseSettings settings;
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (!silent.isClosed()) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // the test is over: the server socket was closed
                    assertThat(silent.isClosed()).isTrue();
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            settings = ConcourseSettings.of("http://127.0.0.1:" + silent.getLocalPort(), "viewer", goodPasswordFile(), null,
                    Duration.ofMillis(700));
            try (ConcourseClient client = ConcourseClient.create(settings)) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> client.buildStatus("42"))
                        .isInstanceOf(CiJwtException.class)
                        .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.CONCOURSE_UNAVAILABLE))
                        .hasMessage("Concourse at " + settings.url() + " did not answer the login of user 'viewer' within 700 ms");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(600), Duration.ofMillis(1500));
            }
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void buildStatusWhenTheIdIsNotABuildIdThenCj101WithoutAsking() throws Exception {
        ConcourseSettings settings = ConcourseSettings.of("http://127.0.0.1:1", "viewer", goodPasswordFile(), null, null);
        try (ConcourseClient client = ConcourseClient.create(settings)) {
            for (String id : List.of("0", "-1", "12a", "../teams", "")) {
                assertThatThrownBy(() -> client.buildStatus(id))
                        .isInstanceOf(CiJwtException.class)
                        .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.METADATA_INVALID));
            }
            assertThat(client.logins()).isZero();
        }
    }

    @Test
    void notFoundWhenReportedThenOneLineNamesConcourseTheUserAndTheTeamsAsked() {
        Identity.NotFound some = new Identity.NotFound("c6a976dc", java.net.URI.create("https://ci.example.com"), "viewer",
                List.of("main", "other"));
        Identity.NotFound none = new Identity.NotFound("c6a976dc", java.net.URI.create("https://ci.example.com"), "viewer",
                List.of());

        assertThat(some.toException().userMessage()).isEqualTo("CJ804 Concourse at https://ci.example.com has no container"
                + " c6a976dc in any team it shows (asked as user 'viewer' in teams main, other); a team the user has no"
                + " viewer role in is not searched");
        assertThat(none.toException().getMessage()).contains("(user 'viewer' has a role in no team)");
    }
}
