package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cijwt.fixtures.Assume;
import org.cijwt.io.Trees;
import org.cijwt.keys.KeySources;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Who may reach the agent's socket, as the operator guide promises (review finding 8, issue 20):
 * with the default layout (socket and state directory side by side) the socket's directory is
 * 0750, so a member of the agent's group connects and any other user cannot even reach it.
 * Runs as root and connects from real processes under other ids (setpriv).
 */
class AgentSocketIT {
    /** A user id and group id no file here belongs to. */
    private static final String NOBODY = "65534";

    private Path base;

    @BeforeEach
    void rootAndABaseOthersMayTraverse() throws IOException {
        if (!"0".equals(uid())) {
            Assume.unavailable("connecting as other users needs root (setpriv)");
        }
        // Not @TempDir (0700): the other users must be able to traverse down to the socket's directory.
        base = Files.createTempDirectory(Path.of("/tmp"), "cijwt-socket-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
    }

    @AfterEach
    void removeBase() throws IOException {
        if (base != null) {
            Trees.deleteRecursively(base);
        }
    }

    @Test
    void runWhenTheSocketDirectoryIsNewThenItIs0750AndOnlyTheAgentsGroupConnects() throws Exception {
        Path run = base.resolve("run");
        AgentSettings settings = new AgentSettings(AgentConfig.defaults("https://ci.example.test"), run.resolve("agent.sock"),
                run.resolve("agent"), KeySources.resolve(KeySources.EPHEMERAL, KeySources.Options.defaults()), null,
                new AnnotationIdentity());
        try (AgentProcess agent = Agent.run(settings)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(run))).isEqualTo("rwxr-x---");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(run.resolve("agent.sock")))).isEqualTo("rw-rw----");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(run.resolve("agent")))).isEqualTo("rwx------");

            String gid = String.valueOf(Files.getAttribute(run, "unix:gid"));
            assertThat(healthz(run.resolve("agent.sock"), "--groups=" + gid)).as("a member of the agent's group")
                    .startsWith("HTTP/1.1 200");
            assertThat(healthz(run.resolve("agent.sock"), "--clear-groups")).as("any other user")
                    .contains("Permission denied");
        }
    }

    /** GET /healthz on the socket from a process running as nobody, with the given supplementary groups. */
    private static String healthz(Path socket, String groups) throws Exception {
        // Perl, which every Debian has at /usr/bin for every user (a pyenv python3 may live under /root).
        String script = "use IO::Socket::UNIX; my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or do { print \"$!\\n\"; exit 0 };"
                + " print $s \"GET /healthz HTTP/1.1\\r\\nHost: agent\\r\\nConnection: close\\r\\n\\r\\n\";"
                + " local $/; print <$s>;";
        Process p = new ProcessBuilder(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, groups, "--",
                "/usr/bin/perl", "-e", script, socket.toString())).redirectErrorStream(true).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static String uid() throws IOException {
        return String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    }
}
