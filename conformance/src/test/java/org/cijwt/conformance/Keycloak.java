package org.cijwt.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.cijwt.fixtures.ProjectPaths;

/**
 * Keycloak on 127.0.0.1 (in-memory database, federated client assertions on), set up through its
 * admin REST API with the committed {@code fixtures/relying-parties/keycloak-identity-provider.json}
 * and {@code keycloak-client.json}: the realm {@link #REALM} trusts the ci-jwt issuer as an OIDC
 * identity provider for client assertions, and one client is authenticated by the tokens whose
 * {@code sub} is {@code main/deploy}.
 */
final class Keycloak implements AutoCloseable {
    static final String REALM = "ci";
    /** The issuer URL in the committed files: ci-jwt serve's default. */
    static final String CONFIG_ISSUER = "http://127.0.0.1:8080";
    static final String CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    /** Keycloak 26 runs on Java 21 or newer. */
    static final int MIN_JAVA = 21;
    /** About 60 s on two busy cores. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);
    private static final String ADMIN = "admin";
    private static final String ADMIN_PASSWORD = "a-TEST-only-admin-password";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern JAVA_VERSION = Pattern.compile("^JAVA_VERSION=\"(\\d+)", Pattern.MULTILINE);

    private final String url;
    private final ServerProcess process;

    private Keycloak(String url, ServerProcess process) {
        this.url = url;
        this.process = process;
    }

    /**
     * A Java home of version {@link #MIN_JAVA} or newer: {@code $CI_JWT_KEYCLOAK_JAVA_HOME}, else this
     * JVM's, else the newest under {@code /usr/lib/jvm}.
     */
    static Optional<Path> javaHome() throws IOException {
        String env = System.getenv("CI_JWT_KEYCLOAK_JAVA_HOME");
        if (env != null && !env.isBlank()) {
            return Optional.of(Path.of(env)).filter(h -> javaVersion(h) >= MIN_JAVA);
        }
        Path own = Path.of(System.getProperty("java.home"));
        if (javaVersion(own) >= MIN_JAVA) {
            return Optional.of(own);
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(h -> Files.isExecutable(h.resolve("bin/java")) && javaVersion(h) >= MIN_JAVA)
                    .max(Comparator.comparingInt(Keycloak::javaVersion));
        }
    }

    /** The feature version in a Java home's {@code release} file, or 0. */
    static int javaVersion(Path home) {
        try {
            Matcher m = JAVA_VERSION.matcher(Files.readString(home.resolve("release"), UTF_8));
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** {@code kc.sh build}: bakes the database and the feature into the distribution, once, so that each start is an optimized one. */
    static void build(Path kcSh, Path javaHome, Path work) throws IOException, InterruptedException {
        Path log = work.resolve("kc-build.log");
        ProcessBuilder pb = new ProcessBuilder("bash", kcSh.toString(), "build", "--db=dev-mem", "--features=client-auth-federated")
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("JAVA_HOME", javaHome.toString());
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
            throw new IOException("kc.sh build did not finish in 10 minutes");
        }
        if (p.exitValue() != 0) {
            throw new IOException("kc.sh build failed (exit " + p.exitValue() + "):\n" + Files.readString(log, UTF_8));
        }
    }

    static Keycloak start(Path dir, Path kcSh, Path javaHome) throws IOException, InterruptedException {
        return ServerProcess.onFreePorts(1, ports -> start(dir, kcSh, javaHome, ports[0]));
    }

    private static Keycloak start(Path dir, Path kcSh, Path javaHome, int port) throws IOException, InterruptedException {
        String url = "http://127.0.0.1:" + port;
        Map<String, String> env = Map.of("JAVA_HOME", javaHome.toString(),
                "KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN, "KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD,
                // The transaction log in the test's directory, not in the shared, cached distribution.
                "JAVA_OPTS_APPEND", "-Dquarkus.transaction-manager.object-store.directory=" + dir.resolve("transaction-logs"));
        ServerProcess p = ServerProcess.start(dir, "keycloak", List.of("bash", kcSh.toString(), "start", "--optimized",
                        "--http-enabled=true", "--hostname-strict=false", "--http-host=127.0.0.1", "--http-port=" + port),
                env, () -> Http.status(url + "/realms/master") == 200, START_TIMEOUT);
        return new Keycloak(url, p);
    }

    /** The realm's issuer URL: the audience Keycloak requires of a client assertion. */
    String realmIssuer() {
        return url + "/realms/" + REALM;
    }

    /** Creates the realm, the ci-jwt identity provider and the pipeline's client from the committed files. */
    void configure(String issuer) throws IOException, InterruptedException {
        String token = adminToken();
        admin(token, "/admin/realms", JSON.createObjectNode().put("realm", REALM).put("enabled", true).toString());
        admin(token, "/admin/realms/" + REALM + "/identity-provider/instances",
                Files.readString(ProjectPaths.relyingParties().resolve("keycloak-identity-provider.json"), UTF_8)
                        .replace(CONFIG_ISSUER, issuer));
        admin(token, "/admin/realms/" + REALM + "/clients",
                Files.readString(ProjectPaths.relyingParties().resolve("keycloak-client.json"), UTF_8));
    }

    /** The client credentials grant, the client authenticated by {@code assertion} alone (RFC 7523 §2.2). */
    Http.Reply clientCredentials(String assertion) throws IOException, InterruptedException {
        return Http.postForm(realmIssuer() + "/protocol/openid-connect/token", Map.of("grant_type", "client_credentials",
                "client_assertion_type", CLIENT_ASSERTION_TYPE, "client_assertion", assertion), null, null);
    }

    String log() {
        return process.log();
    }

    private String adminToken() throws IOException, InterruptedException {
        Http.Reply r = Http.postForm(url + "/realms/master/protocol/openid-connect/token", Map.of("grant_type", "password",
                "client_id", "admin-cli", "username", ADMIN, "password", ADMIN_PASSWORD), null, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).path("access_token").asText();
    }

    private void admin(String token, String path, String json) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("POST %s: %s", path, r.body()).isEqualTo(201);
    }

    /** What Keycloak's answer to a token request says: {@code error} and {@code error_description}, or the access token. */
    static JsonNode answer(Http.Reply r) throws IOException {
        return JSON.readTree(r.body());
    }

    @Override
    public void close() {
        process.close();
    }
}
