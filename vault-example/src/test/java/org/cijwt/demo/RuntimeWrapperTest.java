package org.cijwt.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The demo finds the checkout it runs from by the wrapper's launcher and its Go source. */
class RuntimeWrapperTest {

    @Test
    void repositoryRootWhenRunFromTheBuildThenTheCheckoutHoldingTheLauncherAndTheWrappersCommand() {
        Path root = RuntimeWrapper.repositoryRoot().orElseThrow();

        assertThat(root.resolve(RuntimeWrapper.LAUNCHER)).isExecutable();
        assertThat(root.resolve(RuntimeWrapper.SOURCE).resolve("main.go")).isRegularFile();
        assertThat(root.resolve(RuntimeWrapper.BUILT).getParent().getParent()).isEqualTo(root.resolve("plugin/runtime"));
    }
}
