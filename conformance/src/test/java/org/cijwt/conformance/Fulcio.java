package org.cijwt.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cijwt.fixtures.ProjectPaths;

/**
 * Sigstore's Fulcio on 127.0.0.1 with an ephemeral CA and no certificate transparency log, trusting
 * one ci-jwt issuer through the operator's configuration {@code fixtures/relying-parties/fulcio-config.yaml}.
 */
final class Fulcio implements AutoCloseable {
    /** The issuer the committed configuration names: ci-jwt serve's default. */
    static final String CONFIG_ISSUER = "http://127.0.0.1:8080";
    /** Concourse's external URL in the committed configuration. */
    static final String CONFIG_URL = "https://ci.example.com";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String url;
    private final ServerProcess process;

    private Fulcio(String url, ServerProcess process) {
        this.url = url;
        this.process = process;
    }

    static Path committedConfig() {
        return ProjectPaths.relyingParties().resolve("fulcio-config.yaml");
    }

    static Fulcio start(Path dir, Path binary, String issuer) throws IOException, InterruptedException {
        Path config = Files.writeString(dir.resolve("fulcio-config.yaml"),
                Files.readString(committedConfig(), UTF_8).replace(CONFIG_ISSUER, issuer), UTF_8);
        return ServerProcess.onFreePorts(3, ports -> start(dir, binary, config, ports));
    }

    private static Fulcio start(Path dir, Path binary, Path config, int[] ports) throws IOException, InterruptedException {
        int http = ports[0];
        String url = "http://127.0.0.1:" + http;
        ServerProcess p = ServerProcess.start(dir, "fulcio", List.of(binary.toString(), "serve",
                        "--ca", "ephemeralca", "--ct-log-url", "", "--config-path", config.toString(),
                        "--host", "127.0.0.1", "--port", String.valueOf(http),
                        "--grpc-host", "127.0.0.1", "--grpc-port", String.valueOf(ports[1]),
                        "--metrics-port", String.valueOf(ports[2]),
                        "--legacy-unix-domain-socket", dir.resolve("fulcio-legacy.sock").toString()),
                Map.of(), () -> Http.status(url + "/api/v2/trustBundle") == 200);
        return new Fulcio(url, p);
    }

    String url() {
        return url;
    }

    /** Fulcio's CA chain (its ephemeral root), as PEM in {@code file}: what a verifier trusts. */
    Path writeRoots(Path file) throws IOException, InterruptedException {
        JsonNode bundle = JSON.readTree(Http.get(url + "/api/v2/trustBundle").body());
        StringBuilder pem = new StringBuilder();
        for (JsonNode chain : bundle.path("chains")) {
            for (JsonNode cert : chain.path("certificates")) {
                pem.append(cert.asText().strip()).append('\n');
            }
        }
        return Files.writeString(file, pem.toString(), UTF_8);
    }

    String log() {
        return process.log();
    }

    @Override
    public void close() {
        process.close();
    }
}
