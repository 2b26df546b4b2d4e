package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mount conflicts seen through the symbolic links of the container's root file system. */
class OciSpecRootfsTest {
    private static final Path TOKEN_DIR = Path.of("/run/cijwt/c1");

    @TempDir
    Path bundle;

    private static String spec(String destination) {
        return """
                {"ociVersion": "1.0.2", "process": {"args": ["sh"], "env": [], "cwd": "/"},
                 "root": {"path": "rootfs", "readonly": true},
                 "mounts": [{"destination": "%s", "type": "bind", "source": "/host/x", "options": ["rbind"]}]}
                """.formatted(destination);
    }

    @BeforeEach
    void debianLikeRoot() throws Exception {
        // As in Debian-based images: /var/run is a link to /run.
        Path rootfs = Files.createDirectories(bundle.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("run"));
        Files.createDirectories(rootfs.resolve("var"));
        Files.createSymbolicLink(rootfs.resolve("var/run"), Path.of("/run"));
    }

    @Test
    void applyWhenTaskMountsTheReservedPathThroughAnImageSymlinkThenRefusedNamingBothMounts() {
        assertThatThrownBy(() -> OciSpec.parse(spec("/run/secrets/concourse-ci")).apply(DeliveryPlan.mountOnly(TOKEN_DIR), bundle))
                .isInstanceOf(DeliveryException.class)
                .extracting(e -> ((DeliveryException) e).code()).isEqualTo(ErrorCode.MOUNT_CONFLICT);
        assertThatThrownBy(() -> OciSpec.parse(spec("/run/secrets/concourse-ci")).apply(DeliveryPlan.mountOnly(TOKEN_DIR), bundle))
                .hasMessageContaining("mounts /host/x at /run/secrets/concourse-ci")
                .hasMessageContaining("the reserved token path /var/run/secrets/concourse-ci (/run/secrets/concourse-ci in the image)")
                .hasMessageContaining("where ci-jwt mounts " + TOKEN_DIR);
        assertThatThrownBy(() -> OciSpec.parse(spec("/run/secrets/concourse-ci/jwt")).apply(DeliveryPlan.mountOnly(TOKEN_DIR), bundle))
                .hasMessageContaining("which is inside the reserved token path");
    }

    @Test
    void applyWhenTaskMountsAParentOfTheResolvedPathThenAccepted() throws Exception {
        OciSpec.Applied applied = OciSpec.parse(spec("/run/secrets")).apply(DeliveryPlan.mountOnly(TOKEN_DIR), bundle);
        assertThat(applied.spec().toJson()).contains("/var/run/secrets/concourse-ci");
    }

    @Test
    void applyWithoutABundleThenPathsAreComparedAsWritten() throws Exception {
        OciSpec.Applied applied = OciSpec.parse(spec("/run/secrets/concourse-ci")).apply(DeliveryPlan.mountOnly(TOKEN_DIR));
        assertThat(applied.spec().mountsTheTokenPath()).isTrue();
    }

    @Test
    void resolveInRootWhenLinksAreAbsoluteRelativeOrClimbOutThenTheyStayInsideTheRoot() throws Exception {
        Path rootfs = bundle.resolve("rootfs");
        Files.createSymbolicLink(rootfs.resolve("up"), Path.of("../../../../etc"));
        Files.createSymbolicLink(rootfs.resolve("run/rel"), Path.of("../var/run"));
        Files.createSymbolicLink(rootfs.resolve("loop"), Path.of("loop"));
        assertThat(OciSpec.resolveInRoot(rootfs, "/var/run/secrets/x")).isEqualTo("/run/secrets/x");
        assertThat(OciSpec.resolveInRoot(rootfs, "/up/passwd")).isEqualTo("/etc/passwd");
        assertThat(OciSpec.resolveInRoot(rootfs, "/run/rel/a")).isEqualTo("/run/a");
        assertThat(OciSpec.resolveInRoot(rootfs, "/missing/../var/./run")).isEqualTo("/run");
        assertThat(OciSpec.resolveInRoot(rootfs, "/loop/a")).as("a link loop ends, it does not hang").endsWith("/a");
    }
}
