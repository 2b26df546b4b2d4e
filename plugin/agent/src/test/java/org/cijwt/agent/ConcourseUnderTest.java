package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.cijwt.fixtures.ProjectPaths;
import org.cijwt.fixtures.launch.Concourse;
import org.cijwt.fixtures.launch.Runc;

/**
 * The real Concourse of the agent's Concourse ITs: its worker's containerd runs {@code ci-jwt-runtime} in
 * front of runc under the {@code concourse} identity source, talking to the agent the test starts at
 * {@link #socket}, and the agent logs in as the kit's viewer user ({@link #identity}). Its work directory
 * is not a {@code @TempDir} (0700): PostgreSQL and the tasks' user (host uid 4294967294) reach into it.
 * One Concourse per machine: the fixtures' launcher waits for the one before to stop.
 */
final class ConcourseUnderTest implements AutoCloseable {
    private static final Duration FLY = Duration.ofMinutes(3);

    /** The work directory (0755), removed at {@link #close()}. */
    final Path work;
    /** Where the test's agent must listen: the worker's wrapper calls it there. */
    final Path socket;
    /** The runtime wrapper's static binary (the runtime module's test phase builds it). */
    final Path wrapperBinary;
    final Concourse concourse;
    /** The agent's settings for this Concourse: its URL, the viewer user and that user's password file. */
    final IdentityConfig identity;

    private ConcourseUnderTest(Path work, Path socket, Path wrapperBinary, Concourse concourse, IdentityConfig identity) {
        this.work = work;
        this.socket = socket;
        this.wrapperBinary = wrapperBinary;
        this.concourse = concourse;
        this.identity = identity;
    }

    static ConcourseUnderTest start(String name) throws Exception {
        Path wrapperBinary = ProjectPaths.repoRoot().resolve("plugin/runtime/target/ci-jwt-runtime");
        assertThat(wrapperBinary).as("built by the runtime module's test phase").isExecutable();
        Path work = Files.createTempDirectory("ci-jwt-" + name + "-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            Path socket = work.resolve("run/agent.sock");
            Path runc = Files.createDirectories(work.resolve("wrapper/bin")).resolve("runc");
            // Concourse's containerd runs the first runc on its PATH: this one hands over to ci-jwt-runtime.
            Files.writeString(runc, String.join("\n",
                    "#!/bin/sh",
                    "exec env CI_JWT_AGENT_SOCKET=" + socket + " CI_JWT_IDENTITY_SOURCE=concourse CI_JWT_RUNC="
                            + Runc.binary().orElseThrow() + " " + wrapperBinary + " \"$@\"",
                    ""), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(runc, PosixFilePermissions.fromString("rwxr-xr-x"));
            Concourse concourse = Concourse.builder().runcWrapperDir(work.resolve("wrapper")).start();
            Path password = concourse.agentUser().writePasswordFile(work);
            IdentityConfig identity = new IdentityConfig(ConcourseIdentity.NAME, concourse.url().toString(),
                    concourse.agentUser().name(), password, null, null, null, false).validated();
            return new ConcourseUnderTest(work, socket, wrapperBinary, concourse, identity);
        } catch (Exception | Error e) {
            delete(work);
            throw e;
        }
    }

    /** Runs fly as a member of {@code team}; asserts it succeeded and returns its output. */
    String fly(String team, String... args) throws Exception {
        Concourse.FlyResult r = concourse.fly(team, FLY, args);
        assertThat(r.succeeded()).as("fly " + String.join(" ", args) + ": " + r + "\n" + concourse.log()).isTrue();
        return r.stdout();
    }

    /** Stops Concourse (its worker deletes its containers through the wrapper, so the agent should still run). */
    void stopConcourse() throws Exception {
        concourse.close();
    }

    /** Stops Concourse if it still runs, and removes the work directory. */
    @Override
    public void close() throws Exception {
        try {
            concourse.close();
        } finally {
            delete(work);
        }
    }

    private static void delete(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
