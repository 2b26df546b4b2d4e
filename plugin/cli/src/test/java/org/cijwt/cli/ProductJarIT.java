package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.cijwt.fixtures.ProjectPaths;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an operator installs, {@code plugin/cli/target/ci-jwt.jar} (built by {@code package},
 * before this IT runs): every verb, and nothing of the demo, the fixtures' launchers or the test
 * keys, which live in the examples jar and the test class path only.
 */
class ProductJarIT {
    private static final Path JAR = ProjectPaths.repoRoot().resolve("plugin/cli/target/ci-jwt.jar");
    /** Words the committed test keys carry in their comments (fixtures/.../keys/README.md). */
    private static final List<String> TEST_KEY_MARKS = List.of("TEST KEY", "generated for the ci-jwt test suite");

    private static List<String> entries;

    @BeforeAll
    static void listTheJar() throws IOException {
        assertThat(JAR).as("the product jar, built by the package phase").isRegularFile();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            entries = Collections.list(jar.entries()).stream().map(ZipEntry::getName).toList();
        }
    }

    @Test
    void productJarWhenListedThenItHasEveryModuleAndTheMainClass() throws IOException {
        for (String pkg : List.of("org/cijwt/cli/", "org/cijwt/agent/", "org/cijwt/web/", "org/cijwt/vault/transit/",
                "org/cijwt/tokens/", "org/cijwt/delivery/")) {
            assertThat(entries).as(pkg).anyMatch(e -> e.startsWith(pkg) && e.endsWith(".class"));
        }
        try (JarFile jar = new JarFile(JAR.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo(Main.class.getName());
        }
    }

    @Test
    void productJarWhenListedThenNoDemoNoLauncherNoFixture() {
        assertThat(entries).noneMatch(e -> e.startsWith("org/cijwt/demo/"))
                .noneMatch(e -> e.startsWith("org/cijwt/fixtures/"))
                .noneMatch(e -> e.startsWith("org/cijwt/testkit/"))
                .noneMatch(e -> e.contains("ExamplesMain"));
    }

    @Test
    void productJarWhenReadThenNoKeyFileAndNoTestKeyInsideAnyResource() throws IOException {
        assertThat(entries).noneMatch(e -> e.endsWith(".pem") || e.endsWith(".key") || e.contains("/keys/test-"));
        List<String> marked = new ArrayList<>();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            for (ZipEntry e : Collections.list(jar.entries())) {
                if (e.isDirectory() || e.getName().endsWith(".class") || e.getSize() > 1_000_000) {
                    continue;
                }
                try (InputStream in = jar.getInputStream(e)) {
                    String text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                    if (TEST_KEY_MARKS.stream().anyMatch(text::contains) || text.contains("PRIVATE KEY-----")) {
                        marked.add(e.getName());
                    }
                }
            }
        }
        assertThat(marked).as("resources holding a test key or a private key").isEmpty();
    }

    @Test
    void examplesJarWhenBuiltIsAnotherFileThanTheProduct() {
        assertThat(Files.exists(ProjectPaths.repoRoot().resolve("plugin/cli/target/ci-jwt-examples.jar"))).isFalse();
    }
}
