package org.cijwt.demo;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where {@code ci-jwt-runtime} is: the repository's build ({@code plugin/runtime/target/ci-jwt-runtime},
 * built with {@code ./ci-jwt-runtime --build} when missing and Go is installed), else one on
 * {@code PATH}; or why there is none.
 */
record RuntimeWrapper(Optional<Path> binary, String problem, Optional<String> built) {
    static final String BUILT = "plugin/runtime/target/ci-jwt-runtime";
    /** The wrapper's command in the Go module {@code plugin/runtime}: what the launcher builds. */
    static final String SOURCE = "plugin/runtime/cmd/ci-jwt-runtime";
    static final String LAUNCHER = "ci-jwt-runtime";
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(3);

    static RuntimeWrapper at(Path binary) {
        return new RuntimeWrapper(Optional.of(binary), "", Optional.empty());
    }

    static RuntimeWrapper missing(String why) {
        return new RuntimeWrapper(Optional.empty(), why, Optional.empty());
    }

    static RuntimeWrapper locate() {
        Optional<Path> repo = repositoryRoot();
        if (repo.isPresent()) {
            Path built = repo.get().resolve(BUILT);
            if (Files.isExecutable(built)) {
                return at(built);
            }
            return build(repo.get(), built);
        }
        Optional<Path> installed = onPath(LAUNCHER);
        return installed.map(RuntimeWrapper::at).orElseGet(() -> missing("the runtime wrapper " + LAUNCHER
                + " is neither on PATH nor in a ci-jwt repository around this jar or the working directory"));
    }

    private static RuntimeWrapper build(Path repo, Path built) {
        if (onPath("go").isEmpty()) {
            return missing("the runtime wrapper is not built (" + built + ") and Go, which builds it"
                    + " (./ci-jwt-runtime --build), is not installed");
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(repo.resolve(LAUNCHER).toString(), "--build").directory(repo.toFile())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            Process p = pb.start();
            if (!p.waitFor(BUILD_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return missing("./ci-jwt-runtime --build did not finish within " + BUILD_TIMEOUT.toMinutes() + " min");
            }
            if (p.exitValue() != 0 || !Files.isExecutable(built)) {
                return missing("./ci-jwt-runtime --build failed (exit " + p.exitValue() + "); run it to see why");
            }
            return new RuntimeWrapper(Optional.of(built), "", Optional.of("./ci-jwt-runtime --build"));
        } catch (IOException e) {
            return missing("./ci-jwt-runtime --build could not start: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return missing("interrupted while building the runtime wrapper");
        }
    }

    /**
     * The repository this code runs from: the jar is {@code vault-example/target/ci-jwt.jar} and the
     * test classes {@code vault-example/target/classes}, both three levels below it; else the working directory.
     */
    static Optional<Path> repositoryRoot() {
        try {
            Path location = Path.of(RuntimeWrapper.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path candidate = location.getParent() == null || location.getParent().getParent() == null ? null
                    : location.getParent().getParent().getParent();
            if (candidate != null && isRepository(candidate)) {
                return Optional.of(candidate);
            }
        } catch (URISyntaxException | RuntimeException e) {
            // No usable code source (a custom class loader): the working directory is the other guess.
        }
        Path cwd = Path.of("").toAbsolutePath();
        return isRepository(cwd) ? Optional.of(cwd) : Optional.empty();
    }

    private static boolean isRepository(Path dir) {
        return Files.isExecutable(dir.resolve(LAUNCHER)) && Files.isDirectory(dir.resolve(SOURCE));
    }

    private static Optional<Path> onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(d.isEmpty() ? "." : d, tool);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
