package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.ProjectPaths;
import org.cijwt.fixtures.launch.BusyboxRootfs;
import org.cijwt.fixtures.launch.Containerd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime wrapper as containerd's runc, in a real containerd with its own root, state and socket. */
class RuntimeWrapperIT {
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    static Containerd containerd;
    static Path wrapper;
    static Path rootfs;
    static Path agentSocket;

    @BeforeAll
    static void start() throws Exception {
        Assume.containerd();
        wrapper = ProjectPaths.repoRoot().resolve("plugin/runtime/target/ci-jwt-runtime");
        assertThat(wrapper).as("the Go build of the wrapper (plugin/runtime's test phase: ./cmd/ci-jwt-runtime)").isExecutable();
        rootfs = BusyboxRootfs.shared();
        agentSocket = dir.resolve("agent.sock");
        containerd = Containerd.start(Files.createDirectories(dir.resolve("containerd")),
                Map.of("CI_JWT_AGENT_SOCKET", agentSocket.toString()));
    }

    @AfterAll
    static void stop() {
        if (containerd != null) {
            containerd.close();
        }
    }

    @Test
    void ctrRunWhenContainerHasNoAnnotationThenItRunsUntouchedThroughTheWrapper() throws Exception {
        Containerd.Result r = containerd.run("plain-" + System.nanoTime(), wrapper, rootfs, Map.of(), RUN_TIMEOUT,
                "/bin/sh", "-c", "echo ran; test ! -e /var/run/secrets/concourse-ci/jwt && echo no-token; env");

        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("ran").contains("no-token").doesNotContain("CONCOURSE_CI_JWT");
    }

    @Test
    void ctrRunWhenAnnotatedAndTheAgentIsDownThenCreateFailsClosedNamingTheSocket() throws Exception {
        Containerd.Result r = containerd.run("closed-" + System.nanoTime(), wrapper, rootfs,
                Map.of("org.cijwt.metadata", "{\"team\":\"main\"}"), RUN_TIMEOUT, "/bin/sh", "-c", "echo must-not-run");

        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("cannot reach the ci-jwt agent at " + agentSocket).doesNotContain("must-not-run");
    }
}
