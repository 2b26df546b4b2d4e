package org.cijwt.vault.transit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.launch.OpenBaoServer;

/**
 * A real OpenBao server in the two shapes the fixtures' dev server does not have: with TLS
 * ({@code -dev-tls}, its CA written to a directory) and with raft storage that survives a restart
 * (initialised and unsealed here, with one unseal key), so a test can stop OpenBao and start the
 * same one again.
 */
final class BaoProcess implements TransitLab.Api, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration STARTUP = Duration.ofSeconds(30);

    private final List<String> command;
    private final Path dir;
    private final URI address;
    private final boolean persistent;
    private Process process;
    private HttpClient http;
    private String rootToken;
    private String unsealKey;

    private BaoProcess(List<String> command, Path dir, URI address, boolean persistent, String rootToken) {
        this.command = command;
        this.dir = dir;
        this.address = address;
        this.persistent = persistent;
        this.rootToken = rootToken;
    }

    /** A dev server on HTTPS whose CA is {@link #caCert()}. */
    static BaoProcess devTls(Path dir) throws Exception {
        int port = freePortPair();
        String token = "test-root-" + random();
        Path certs = Files.createDirectories(dir.resolve("tls"));
        BaoProcess bao = new BaoProcess(List.of(binary(), "server", "-dev", "-dev-tls", "-dev-tls-cert-dir=" + certs,
                "-dev-listen-address=127.0.0.1:" + port, "-dev-root-token-id=" + token, "-dev-no-store-token"),
                dir, URI.create("https://127.0.0.1:" + port), false, token);
        bao.startOrStop(bao::launch);
        return bao;
    }

    /** A one-node server with raft storage in {@code dir}, initialised and unsealed. */
    static BaoProcess persistent(Path dir) throws Exception {
        int port = freePortPair();
        Path config = dir.resolve("bao.hcl");
        Files.writeString(config, """
                storage "raft" {
                  path    = "%s"
                  node_id = "ci-jwt-test"
                }
                listener "tcp" {
                  address     = "127.0.0.1:%d"
                  tls_disable = true
                }
                api_addr      = "http://127.0.0.1:%d"
                cluster_addr  = "https://127.0.0.1:%d"
                """.formatted(Files.createDirectories(dir.resolve("data")), port, port, port + 1));
        BaoProcess bao = new BaoProcess(List.of(binary(), "server", "-config=" + config), dir,
                URI.create("http://127.0.0.1:" + port), true, null);
        bao.startOrStop(() -> {
            bao.launch();
            JsonNode init = bao.call("PUT", "sys/init", "{\"secret_shares\":1,\"secret_threshold\":1}");
            bao.unsealKey = init.path("keys_base64").get(0).asText();
            bao.rootToken = init.path("root_token").asText();
            bao.unseal();
        });
        return bao;
    }

    private interface Step {
        void run() throws Exception;
    }

    /** Runs the start-up; a server that fails to come up is stopped, so no process outlives the test. */
    private void startOrStop(Step startUp) throws Exception {
        try {
            startUp.run();
        } catch (Exception | AssertionError e) {
            stop();
            throw e;
        }
    }

    private static String binary() {
        Assume.openBao();
        return OpenBaoServer.findBao().orElseThrow().toString();
    }

    URI address() {
        return address;
    }

    String rootToken() {
        return rootToken;
    }

    Path caCert() {
        return dir.resolve("tls").resolve("vault-ca.pem");
    }

    /** Stops the server (SIGTERM, then SIGKILL); a persistent one keeps its data. */
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Starts a stopped persistent server again on the same port and unseals it. */
    void restart() throws Exception {
        stop();
        launch();
        unseal();
    }

    private void launch() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("bao.log").toFile()));
        builder.environment().keySet().removeIf(n -> n.startsWith("VAULT_") || n.startsWith("BAO_"));
        process = builder.start();
        process.getOutputStream().close();
        // A test that dies before close() must not leave a bao process behind after the JVM exits.
        Process started = process;
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "bao-stop-" + address.getPort()));
        long end = System.nanoTime() + STARTUP.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("bao exited with " + process.exitValue() + "; log: "
                        + Files.readString(dir.resolve("bao.log")));
            }
            try {
                if (http == null && !persistent && !Files.exists(caCert())) {
                    throw new IOException("no CA yet");
                }
                int status = send("GET", "sys/health", null, null).statusCode();
                // 501: not initialised, 503: sealed; either way the listener is up.
                if (status == 200 || (persistent && (status == 501 || status == 503))) {
                    return;
                }
            } catch (IOException e) {
                if (System.nanoTime() - end > 0) {
                    throw new IllegalStateException("bao did not answer at " + address + ": " + e);
                }
            }
            Thread.sleep(100);
        }
    }

    private void unseal() throws Exception {
        call("PUT", "sys/unseal", "{\"key\":\"" + unsealKey + "\"}");
        long end = System.nanoTime() + STARTUP.toNanos();
        while (send("GET", "sys/health", null, null).statusCode() != 200) {
            if (System.nanoTime() - end > 0) {
                throw new IllegalStateException("bao at " + address + " did not become active after unseal");
            }
            Thread.sleep(100);
        }
    }

    @Override
    public JsonNode call(String method, String path, String jsonBody) throws IOException, InterruptedException {
        HttpResponse<String> r = send(method, path, jsonBody, rootToken);
        if (r.statusCode() / 100 != 2) {
            throw new AssertionError(method + " /v1/" + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    private HttpResponse<String> send(String method, String path, String body, String token)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(address.resolve("/v1/" + path))
                // Initialising raft storage can take a while on a busy machine.
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (token != null) {
            request.header("X-Vault-Token", token);
        }
        return client().send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private HttpClient client() throws IOException {
        if (http != null) {
            return http;
        }
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if ("https".equals(address.getScheme())) {
            b.sslContext(trusting(caCert()));
        }
        http = b.build();
        return http;
    }

    /** An SSL context that trusts the one CA in {@code pem}. */
    static SSLContext trusting(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot trust " + pem, e);
        }
    }

    /** A port whose next port is free too: OpenBao's cluster listener takes port + 1. */
    private static int freePortPair() throws IOException {
        for (int i = 0; i < 50; i++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            if (free(port + 1)) {
                return port;
            }
        }
        throw new IOException("no free pair of loopback ports");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return s.isBound();
        } catch (IOException taken) {
            return false;
        }
    }

    private static String random() {
        byte[] b = new byte[12];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The server's log so far (its root token appears there only in dev mode's banner, which tests never print). */
    String log() throws IOException {
        return Files.readString(dir.resolve("bao.log"));
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    @Override
    public String toString() {
        return "BaoProcess[" + address + (persistent ? ", raft storage" : ", dev TLS") + "]";
    }
}
