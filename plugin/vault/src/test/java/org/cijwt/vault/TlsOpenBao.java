package org.cijwt.vault;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.fixtures.launch.LoopbackPorts;

/**
 * A real OpenBao dev server with TLS ({@code bao server -dev -dev-tls}): it generates its own CA and
 * server certificate into a directory, and its listener asks clients for a certificate, which the
 * {@code cert} auth method needs. {@link OpenBaoServer} starts plain-HTTP servers only.
 */
final class TlsOpenBao implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(30);

    private final Process process;
    private final URI address;
    private final String rootToken;
    private final Path caFile;
    private final HttpClient admin;

    private TlsOpenBao(Process process, URI address, String rootToken, Path caFile, HttpClient admin) {
        this.process = process;
        this.address = address;
        this.rootToken = rootToken;
        this.caFile = caFile;
        this.admin = admin;
    }

    /** Starts the server with its TLS files in {@code certDir}; call {@code Assume.openBao()} first. */
    static TlsOpenBao start(Path certDir) throws IOException, InterruptedException, GeneralSecurityException {
        Path bao = OpenBaoServer.findBao().orElseThrow();
        int port = LoopbackPorts.free();
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        String token = "tls-root-" + HexFormat.of().formatHex(random);
        ProcessBuilder builder = new ProcessBuilder(List.of(bao.toString(), "server", "-dev", "-dev-tls",
                "-dev-tls-cert-dir=" + certDir, "-dev-listen-address=127.0.0.1:" + port,
                "-dev-root-token-id=" + token, "-dev-no-store-token"))
                .redirectErrorStream(true)
                .redirectOutput(certDir.resolve("bao.log").toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("VAULT_") || name.startsWith("BAO_"));
        Process process = builder.start();
        process.getOutputStream().close();
        URI address = URI.create("https://127.0.0.1:" + port);
        Path ca = certDir.resolve("vault-ca.pem");
        Instant deadline = Instant.now().plus(STARTUP);
        while (!Files.exists(ca) && Instant.now().isBefore(deadline) && process.isAlive()) {
            Thread.sleep(100);
        }
        try {
            if (!Files.exists(ca)) {
                throw new IOException("bao -dev-tls wrote no CA in time: " + Files.readString(certDir.resolve("bao.log")));
            }
            HttpClient admin = HttpClient.newBuilder().sslContext(trusting(Files.readString(ca)))
                    .connectTimeout(Duration.ofSeconds(2)).build();
            TlsOpenBao server = new TlsOpenBao(process, address, token, ca, admin);
            server.awaitHealthy(deadline, certDir);
            return server;
        } catch (IOException | RuntimeException | InterruptedException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    private void awaitHealthy(Instant deadline, Path certDir) throws IOException, InterruptedException {
        String last = "no answer";
        while (Instant.now().isBefore(deadline) && process.isAlive()) {
            try {
                if (api("GET", "sys/health", null, null).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet; the loop's deadline bounds the wait.
                last = notYet.getClass().getSimpleName();
            }
            Thread.sleep(100);
        }
        throw new IOException("TLS OpenBao not healthy in time (" + last + "): " + Files.readString(certDir.resolve("bao.log")));
    }

    URI address() {
        return address;
    }

    String caPem() throws IOException {
        return Files.readString(caFile);
    }

    /** One admin API call with the root token; fails the test on a non-2xx answer. */
    String adminCall(String method, String path, String json) throws IOException, InterruptedException {
        HttpResponse<String> response = api(method, path, json, rootToken);
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return response.body();
    }

    HttpResponse<String> api(String method, String path, String json, String token)
            throws IOException, InterruptedException {
        return send(admin, method, path, json, token);
    }

    /** A call with another client, e.g. one presenting a client certificate. */
    HttpResponse<String> send(HttpClient client, String method, String path, String json, String token)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(address.resolve("/v1/" + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            request.header("X-Vault-Token", token);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** An HTTP client trusting this server's CA and presenting {@code client} as its certificate. */
    HttpClient clientPresenting(TestPki.Issued client) throws IOException, GeneralSecurityException {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        char[] password = "test-only".toCharArray();
        keys.setKeyEntry("client", client.keys().getPrivate(), password,
                new java.security.cert.Certificate[] {client.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), trustManagers(caPem()), null);
        return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(2)).build();
    }

    private static SSLContext trusting(String caPem) throws GeneralSecurityException, IOException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustManagers(caPem), null);
        return context;
    }

    private static javax.net.ssl.TrustManager[] trustManagers(String caPem) throws GeneralSecurityException, IOException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        return tmf.getTrustManagers();
    }

    @Override
    public void close() {
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
}
