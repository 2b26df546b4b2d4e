package org.cijwt.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.cijwt.fixtures.Assume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host ids above the signed-int range, as Concourse's unprivileged tasks have, survive a chown and a read. */
class FileOwnerTest {
    @TempDir
    Path dir;

    @Test
    void applyToWhenTheIdIsConcoursesNamespaceRootThenTheFileHasThatOwner() throws Exception {
        if (!FileOwner.thisProcessIsRoot()) {
            Assume.unavailable("giving a file to another user needs root");
        }
        Path f = Files.writeString(dir.resolve("jwt"), "x");
        FileOwner concourseTask = new FileOwner(4294967294L, 4294967294L);

        concourseTask.applyTo(f);

        assertThat(FileOwner.of(f)).isEqualTo(concourseTask);
        assertThat(Files.getAttribute(f, "unix:uid")).as("as the JDK reports it").isEqualTo(-2);
    }

    @Test
    void constructorWhenAnIdIsNoUserIdThenRefused() {
        assertThatThrownBy(() -> new FileOwner(0xFFFF_FFFFL, 0)).as("(uid_t) -1 means 'no change' to chown")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FileOwner(0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new FileOwner(FileOwner.MAX_ID, 0).uid()).isEqualTo(4294967294L);
    }
}
