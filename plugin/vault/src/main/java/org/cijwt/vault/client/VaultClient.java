package org.cijwt.vault.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.cijwt.errors.CiJwtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one class that speaks HTTP to Vault, for the var source and the Transit key source alike: the
 * address, namespace header and TLS of one {@link Connection}, a hard deadline per call, and
 * retries of connection failures and 502/503/504 (a sealed or standby node, a proxy) with a
 * doubling backoff; any other answer, 4xx and 5xx included, is the caller's to read.
 *
 * <p>Requests run through {@link HttpClient#sendAsync} and are abandoned at their timeout, because
 * {@link HttpRequest#timeout} alone does not bound reading a body from a server that stalls, and
 * because Transit's signer sends batches from several threads at once.
 *
 * <p>The Vault Java Driver is not used: its {@code Rest} sends synchronously with whole-second
 * timeouts and cannot bound a stalled body; its {@code Auth} and {@code Logical} retry every failure
 * (a refused login or a 403 too) and give Vault's answer only as exception text; its
 * {@code SslConfig} is described at {@link TlsMaterial}. What ci-jwt calls (a login, KV reads, a
 * mount lookup, {@code renew-self}, Transit's keys and batch signing) is a handful of JSON requests.
 */
public final class VaultClient {
    private static final Logger LOG = LoggerFactory.getLogger(VaultClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Connection connection;
    private final String address;
    private final HttpClient http;
    private final AtomicLong requests = new AtomicLong();

    /**
     * Where and how to reach one Vault.
     *
     * @param address the Vault address (a trailing slash is dropped)
     * @param namespace sent as {@code X-Vault-Namespace} when present
     * @param tls trust anchors and client certificate; {@link TlsMaterial#NONE} for the JVM's defaults
     * @param connectTimeout how long opening a connection may take
     * @param retries how often and how soon a failed attempt is tried again
     * @param setting names the settings in a TLS error, e.g. {@code var_sources[0].config}
     */
    public record Connection(URI address, Optional<String> namespace, TlsMaterial tls, Duration connectTimeout,
                             Retries retries, String setting) {
        public Connection {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(tls, "tls");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(retries, "retries");
            Objects.requireNonNull(setting, "setting");
        }
    }

    /**
     * How a call is retried after a connection failure or a 502/503/504: at most {@code maxAttempts}
     * attempts in all, waiting {@code firstBackoff}, then twice as long each time up to
     * {@code maxBackoff}; never once the call's deadline would pass during the wait.
     */
    public record Retries(int maxAttempts, Duration firstBackoff, Duration maxBackoff) {
        public Retries {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1");
            }
        }

        /** As many attempts as fit before the deadline (Transit: a mint waits at most its timeout). */
        public static Retries untilDeadline(Duration firstBackoff, Duration maxBackoff) {
            return new Retries(Integer.MAX_VALUE, firstBackoff, maxBackoff);
        }
    }

    /**
     * The client for one connection. Redirects are never followed (the JDK's default, kept on
     * purpose): an answer may not send a token, a login JWT or the client certificate to another server.
     *
     * @throws CiJwtException {@code CJ407} when the TLS material cannot make a context
     */
    public VaultClient(Connection connection) throws CiJwtException {
        this.connection = connection;
        String text = connection.address().toString();
        this.address = text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connection.connectTimeout());
        connection.tls().sslContext(connection.setting()).ifPresent(builder::sslContext);
        this.http = builder.build();
    }

    /** The Vault address without a trailing slash, for messages. */
    public String address() {
        return address;
    }

    /** HTTP requests sent so far, retries included; lets a test see that a burst was batched. */
    public long requestCount() {
        return requests.get();
    }

    /** Percent-encodes each segment of a path, so names with spaces or dots stay one segment. */
    public static String encodePath(String path) {
        StringBuilder out = new StringBuilder();
        for (String segment : path.split("/", -1)) {
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return out.toString();
    }

    /**
     * Sends one call, retrying what may pass (see the class comment) until the attempts or the
     * deadline run out; any answer that is not 502/503/504 is returned as it is.
     *
     * @param token the Vault token, or null (a login)
     * @throws VaultFailure.Unreachable naming the address, what failed and why, when no usable answer came
     */
    public VaultAnswer send(VaultRequest request, String token, Deadline deadline) throws VaultFailure.Unreachable {
        long started = System.nanoTime();
        Duration backoff = connection.retries().firstBackoff();
        String failure = "no attempt fitted in the time left";
        int attempts = 0;
        while (attempts < connection.retries().maxAttempts() && !deadline.passed()) {
            attempts++;
            Duration left = deadline.left();
            Duration wait = request.attemptTimeout().filter(t -> t.compareTo(left) < 0).orElse(left);
            try {
                VaultAnswer answer = attempt(request, token, wait);
                if (answer.status() != 502 && answer.status() != 503 && answer.status() != 504) {
                    return answer;
                }
                failure = "Vault answered " + answer.statusAndErrors();
            } catch (TimeoutException e) {
                failure = "no answer within " + VaultFailure.seconds(wait);
            } catch (SSLException e) {
                // A certificate that is not trusted will not become trusted by asking again.
                failure = "TLS failed: " + VaultAnswer.oneLine(String.valueOf(e.getMessage()));
                break;
            } catch (IOException e) {
                failure = describe(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = "interrupted";
                break;
            }
            LOG.debug("Vault at {}: {} failed ({}), attempt {}", address, request.what(), failure, attempts);
            if (attempts >= connection.retries().maxAttempts() || deadline.left().compareTo(backoff) <= 0) {
                break;
            }
            try {
                Thread.sleep(backoff.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = "interrupted while waiting to retry";
                break;
            }
            Duration doubled = backoff.multipliedBy(2);
            backoff = doubled.compareTo(connection.retries().maxBackoff()) > 0 ? connection.retries().maxBackoff() : doubled;
        }
        throw new VaultFailure.Unreachable(address, request.what(), failure, attempts,
                Duration.ofNanos(System.nanoTime() - started), deadline);
    }

    private VaultAnswer attempt(VaultRequest request, String token, Duration wait)
            throws IOException, TimeoutException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(address + "/v1/" + encodePath(request.path())))
                .timeout(wait.isZero() ? Duration.ofMillis(1) : wait)
                .header("X-Vault-Request", "true")
                .method(request.method(), request.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(request.body().toString(), StandardCharsets.UTF_8));
        connection.namespace().ifPresent(ns -> builder.header("X-Vault-Namespace", ns));
        if (token != null) {
            builder.header("X-Vault-Token", token);
        }
        if (request.body() != null) {
            builder.header("Content-Type", "application/json");
        }
        requests.incrementAndGet();
        long sent = System.nanoTime();
        CompletableFuture<HttpResponse<byte[]>> future = http.sendAsync(builder.build(),
                HttpResponse.BodyHandlers.ofByteArray());
        try {
            HttpResponse<byte[]> response = future.get(Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS);
            // Method, path and status only: headers hold the token and bodies may hold tokens or signatures.
            LOG.debug("Vault at {}: {} answered {} in {} ms", address, request, response.statusCode(),
                    Duration.ofNanos(System.nanoTime() - sent).toMillis());
            return new VaultAnswer(response.statusCode(), parse(response.body()));
        } catch (TimeoutException | InterruptedException e) {
            future.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpTimeoutException && !(cause instanceof HttpConnectTimeoutException)) {
                throw new TimeoutException("no answer");
            }
            for (Throwable t = cause; t != null; t = t.getCause()) {
                if (t instanceof SSLException ssl) {
                    throw ssl;
                }
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(cause);
        }
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(body);
            return node == null ? JSON.createObjectNode() : node;
        } catch (IOException e) {
            // A proxy's HTML error page, for example; the status still says what happened.
            return JSON.createObjectNode();
        }
    }

    private static String describe(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpConnectTimeoutException) {
                return "connect timed out";
            }
            if (t instanceof ConnectException) {
                return "connection refused";
            }
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + VaultAnswer.oneLine(root.getMessage()));
    }
}
