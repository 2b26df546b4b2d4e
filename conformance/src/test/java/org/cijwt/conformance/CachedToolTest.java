package org.cijwt.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tool cache: what is found, what is built, and what a failed or interrupted build leaves. */
class CachedToolTest {
    @TempDir
    Path cache;

    private final AtomicInteger builds = new AtomicInteger();

    /** A stand-in for the Go compiler (the cache is what is under test): writes an executable script. */
    private CachedTool.Build writesAScript() {
        return (bin, work) -> {
            builds.incrementAndGet();
            Path exe = bin.resolve("tool");
            Files.writeString(exe, "#!/bin/sh\necho built\n", UTF_8);
            Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        };
    }

    @Test
    void binaryWhenNotCachedThenBuiltOnceIntoTheNamedVersionedEntryWithItsRecord() throws Exception {
        CachedTool tool = new CachedTool("tool", "v1.2.3", cache, writesAScript());

        Path first = tool.binary();
        Path second = tool.binary();

        assertThat(first).isEqualTo(second).isEqualTo(cache.resolve("tool-v1.2.3/bin/tool")).isExecutable();
        assertThat(builds).hasValue(1);
        assertThat(tool.cached()).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("tool v1.2.3 built in ").contains(" s with ");
        assertThat(leftovers()).containsExactlyInAnyOrder("tool-v1.2.3", "tool-v1.2.3.lock");
    }

    @Test
    void binaryWhenTheExecutableIsElsewhereInTheEntryThenThatPathIsFoundAndRecordedWithoutGo() throws Exception {
        CachedTool tool = new CachedTool("dist", "26.7.3", cache, "dist-26.7.3/bin/start.sh", (bin, work) -> {
            builds.incrementAndGet();
            Path script = Files.createDirectories(bin.resolveSibling("dist-26.7.3/bin")).resolve("start.sh");
            Files.writeString(script, "#!/bin/sh\n", UTF_8);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        });

        Path found = tool.binary();

        assertThat(found).isEqualTo(cache.resolve("dist-26.7.3/dist-26.7.3/bin/start.sh")).isExecutable();
        assertThat(tool.cached()).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("dist 26.7.3 built in ").doesNotContain(" with ");
    }

    @Test
    void binaryWhenAnotherVersionIsCachedThenThisVersionIsBuiltBesideIt() throws Exception {
        new CachedTool("tool", "v1.0.0", cache, writesAScript()).binary();

        Path newer = new CachedTool("tool", "v2.0.0", cache, writesAScript()).binary();

        assertThat(newer).isEqualTo(cache.resolve("tool-v2.0.0/bin/tool"));
        assertThat(builds).hasValue(2);
        assertThat(cache.resolve("tool-v1.0.0/bin/tool")).isExecutable();
    }

    @Test
    void binaryWhenACompleteEntryExistsThenItIsUsedWithoutBuilding() throws Exception {
        Path home = Files.createDirectories(cache.resolve("tool-v1.2.3/bin"));
        Files.writeString(home.resolve("tool"), "#!/bin/sh\n", UTF_8);
        Files.setPosixFilePermissions(home.resolve("tool"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(cache.resolve("tool-v1.2.3/build.txt"), "tool v1.2.3 built in 9 s with go1.26.8\n", UTF_8);

        Path found = new CachedTool("tool", "v1.2.3", cache, writesAScript()).binary();

        assertThat(found).isEqualTo(home.resolve("tool"));
        assertThat(builds).hasValue(0);
    }

    @Test
    void binaryWhenAnEntryHasNoRecordThenItIsRebuiltAndReplaced() throws Exception {
        // What a build killed between the rename and build.txt would leave, or a hand-copied binary.
        Path bin = Files.createDirectories(cache.resolve("tool-v1.2.3/bin"));
        Files.writeString(bin.resolve("tool"), "stale", UTF_8);

        Path built = new CachedTool("tool", "v1.2.3", cache, writesAScript()).binary();

        assertThat(builds).hasValue(1);
        assertThat(Files.readString(built, UTF_8)).contains("echo built");
    }

    @Test
    void binaryWhenTheBuildFailsThenTheErrorIsThrownAndNothingIsLeftInTheCache() {
        CachedTool tool = new CachedTool("tool", "v1.2.3", cache, (bin, work) -> {
            Files.writeString(bin.resolve("tool"), "half", UTF_8);
            throw new IOException("go build failed (exit 1)");
        });

        assertThatThrownBy(tool::binary).isInstanceOf(IOException.class).hasMessage("go build failed (exit 1)");
        assertThat(leftovers()).containsExactly("tool-v1.2.3.lock");
    }

    @Test
    void binaryWhenTheBuildMakesNoExecutableThenItFailsNamingThePath() {
        CachedTool tool = new CachedTool("tool", "v1.2.3", cache, (bin, work) -> { });

        assertThatThrownBy(tool::binary).isInstanceOf(IOException.class).hasMessageContaining("made no").hasMessageContaining("bin/tool");
        assertThat(leftovers()).containsExactly("tool-v1.2.3.lock");
    }

    @Test
    void binaryWhenTheModulesCannotBeDownloadedThenUnavailableWithTheReason() {
        CachedTool tool = new CachedTool("tool", "v1.2.3", cache, (bin, work) -> {
            throw new CachedTool.Unavailable("go install cannot download its modules: dial tcp: lookup example: no such host");
        });

        assertThatThrownBy(tool::binary).isInstanceOf(CachedTool.Unavailable.class).hasMessageContaining("no such host");
        assertThat(leftovers()).containsExactly("tool-v1.2.3.lock");
    }

    @Test
    void binaryWhenManyThreadsAskAtOnceThenOneBuilds() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        CachedTool tool = new CachedTool("tool", "v1.2.3", cache, (bin, work) -> {
            Thread.sleep(200);  // long enough for the others to queue on the lock
            writesAScript().run(bin, work);
        });
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return tool.binary();
                }));
            }
            start.countDown();
            for (Future<Path> f : results) {
                assertThat(f.get()).isEqualTo(tool.executable());
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(builds).hasValue(1);
    }

    @Test
    void constructorWhenTheNameOrVersionCouldEscapeTheCacheThenRefused() {
        assertThatThrownBy(() -> new CachedTool("../tool", "v1", cache, writesAScript())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CachedTool("tool", "v1/../../x", cache, writesAScript())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CachedTool("tool", "latest", cache, writesAScript())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CachedTool("tool", "1.0", cache, "../../bin/sh", writesAScript()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private List<String> leftovers() {
        try (Stream<Path> s = Files.list(cache)) {
            return s.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
