package org.cijwt.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.cijwt.fixtures.launch.Runc;
import org.junit.jupiter.api.Test;

/**
 * The fixtures main jar rides in the product jar only for the demo, so it holds the sample files
 * the demo reads and nothing else: no TEST keys, no metadata only the tests use.
 */
class DemoResourcesTest {

    @Test
    void fixturesMainJarWhenListedThenItsSampleFilesAreExactlyTheOnesTheDemoReads() throws Exception {
        List<String> files = fixturesMainResources();

        assertThat(files).filteredOn(f -> !f.endsWith(".class")).containsExactlyInAnyOrder(
                DemoCommand.SAMPLE_METADATA, UseVarsExample.METADATA_RESOURCE, UseVarsExample.PIPELINE_RESOURCE);
        assertThat(files).noneMatch(f -> f.contains("/keys/") || f.endsWith(".pem"));
    }

    /** Every file of the fixtures main jar (or its classes directory, in a reactor build), as a resource path. */
    private static List<String> fixturesMainResources() throws IOException, URISyntaxException {
        Path location = Path.of(Runc.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(location)) {
            return list(location);
        }
        try (FileSystem jar = FileSystems.newFileSystem(location, Map.of())) {
            return list(jar.getPath("/"));
        }
    }

    private static List<String> list(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile)
                    .map(p -> "/" + root.relativize(p).toString().replace('\\', '/'))
                    .filter(p -> !p.startsWith("/META-INF/"))
                    .toList();
        }
    }
}
