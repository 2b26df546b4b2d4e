package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.fixtures.ProjectPaths;
import org.cijwt.web.Endpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idle introspection clients cannot take {@code serve} down (review finding 3, issue 20). Before
 * the fix, a client that sent headers declaring a 16 KiB body and then nothing made the server hold
 * 16 KiB for it, and about 5,500 of them ran the heap out: with {@code -XX:+ExitOnOutOfMemoryError}
 * the process ended, JWKS and discovery with it. This runs {@code ./ci-jwt serve} as an operator
 * would (the launcher's heap of 96 MB), opens more such connections than that heap could hold at
 * their declared size, and checks that the JWKS still answers and that the stalled requests are
 * answered 408 and closed once the body deadline passes.
 */
class ServeIdleClientsIT {
    private static final int CLIENTS = 7_000;
    private static final Pattern SERVING = Pattern.compile("ci-jwt serving (http://\\S+) ");

    @TempDir
    Path dir;

    @Test
    void serveWhenThousandsOfClientsDeclareABodyAndSendNothingThenItStaysUpAndTimesThemOut() throws Exception {
        Path launcher = ProjectPaths.repoRoot().resolve("ci-jwt");
        Process serve = new ProcessBuilder(launcher.toString(), "serve", "--keys", "ephemeral", "--listen", "127.0.0.1:0",
                "--reload-interval", "0").redirectErrorStream(true).directory(dir.toFile()).start();
        List<Socket> clients = new ArrayList<>();
        try {
            URI base = URI.create(awaitServing(serve.getInputStream()));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            byte[] headers = ("POST " + Endpoints.INTROSPECT + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + Endpoints.MAX_INTROSPECTION_BODY
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < CLIENTS; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
                s.getOutputStream().write(headers);
                s.getOutputStream().flush();
                clients.add(s);
            }
            assertThat((long) CLIENTS * Endpoints.MAX_INTROSPECTION_BODY).as("declared bytes exceed the 96 MB heap")
                    .isGreaterThan(96L * 1024 * 1024);

            HttpResponse<String> jwks = http.send(HttpRequest.newBuilder(base.resolve(Endpoints.JWKS))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(serve.isAlive()).as("serve is still running").isTrue();
            assertThat(jwks.statusCode()).isEqualTo(200);
            assertThat(jwks.body()).contains("\"keys\"");

            // Past the body deadline every stalled request is answered 408 and its connection closed.
            Socket first = clients.get(0);
            first.setSoTimeout((int) Endpoints.BODY_DEADLINE.plusSeconds(10).toMillis());
            String answer = readAll(first.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 408").contains("request_timeout");
            Socket last = clients.get(clients.size() - 1);
            last.setSoTimeout(10_000);
            assertThat(readAll(last.getInputStream())).startsWith("HTTP/1.1 408");
            assertThat(serve.isAlive()).isTrue();
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            serve.destroy();
            if (!serve.waitFor(20, TimeUnit.SECONDS)) {
                serve.destroyForcibly();
            }
        }
    }

    /** The base URL from serve's start line; fails with serve's output when it does not start. */
    private static String awaitServing(InputStream out) throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(out, StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = lines.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher m = SERVING.matcher(line);
            if (m.find()) {
                // serve's later output (its log) is read and dropped, so that a full pipe never blocks it.
                Thread drain = new Thread(() -> drain(lines), "serve-output");
                drain.setDaemon(true);
                drain.start();
                return m.group(1);
            }
        }
        throw new AssertionError("serve did not start:\n" + seen);
    }

    private static void drain(BufferedReader lines) {
        try {
            lines.transferTo(java.io.Writer.nullWriter());
        } catch (IOException e) {
            // The pipe closes when serve stops, which ends the drain either way.
            Thread.currentThread().interrupt();
        }
    }

    /** What the server sends until it closes the connection (or the socket's timeout passes). */
    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
}
