package org.cijwt.vault.transit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vault's HTTP API for the Transit key source, on {@link HttpClient}: the address, namespace header
 * and TLS of the settings, and a hard deadline per call. Connection failures and 502/503/504 (a
 * sealed or standby node, a proxy) are retried with a short backoff until the deadline; any other
 * answer is returned to the caller as it is.
 *
 * <p>Requests run through {@link HttpClient#sendAsync} and are abandoned at the deadline, because
 * {@link HttpRequest#timeout} alone does not bound reading a body from a server that stalls.
 */
final class TransitHttp {
    private static final Logger LOG = LoggerFactory.getLogger(TransitHttp.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(1);

    private final TransitSettings settings;
    private final HttpClient client;
    private final AtomicLong requests = new AtomicLong();

    /** One answer: status and body parsed as JSON (an empty object when there is none or it is not JSON). */
    record Answer(int status, JsonNode json) {
        boolean ok() {
            return status / 100 == 2;
        }

        /** Vault's {@code errors} joined on one line, or {@code HTTP <status>} when it gave none. */
        String reason() {
            List<String> errors = new ArrayList<>();
            json.path("errors").forEach(e -> errors.add(oneLine(e.asText())));
            errors.removeIf(String::isEmpty);
            return "HTTP " + status + (errors.isEmpty() ? "" : " " + String.join("; ", errors));
        }
    }

    TransitHttp(TransitSettings settings) throws CiJwtException {
        this.settings = settings;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout());
        SSLContext ssl = VaultTls.context(settings.tls());
        if (ssl != null) {
            builder.sslContext(ssl);
        }
        this.client = builder.build();
    }

    /** How many HTTP requests were sent, retries included; lets a test see that a burst was batched. */
    long requestCount() {
        return requests.get();
    }

    String address() {
        return settings.addressText();
    }

    /**
     * Sends one call, retrying transient failures until {@code deadline}.
     *
     * @param method GET or POST
     * @param path below {@code /v1/}, already safe for a URL
     * @param token the Vault token, or null (a login)
     * @param body a JSON body, or null
     * @param what what the call is for, e.g. {@code signing with transit/ci-jwt v3}; used in errors
     * @throws CiJwtException {@link ErrorCode#KEY_SERVICE_FAILED} naming the address, what failed and
     *     why, when no answer came in time
     */
    Answer call(String method, String path, String token, JsonNode body, Deadline deadline, String what)
            throws CiJwtException {
        long started = System.nanoTime();
        Duration backoff = FIRST_BACKOFF;
        String failure = "no attempt fitted in the time left";
        int attempts = 0;
        while (true) {
            Duration left = deadline.left();
            if (left.toMillis() <= 0) {
                break;
            }
            attempts++;
            try {
                Answer answer = send(method, path, token, body, left);
                if (answer.status() != 502 && answer.status() != 503 && answer.status() != 504) {
                    return answer;
                }
                failure = "Vault answered " + answer.reason();
            } catch (TimeoutException e) {
                failure = "no answer within " + seconds(since(started));
                break;
            } catch (IOException e) {
                failure = describe(e);
                if (hasCause(e, SSLException.class)) {
                    break;
                }
            }
            LOG.debug("Vault at {}: {} failed ({}), attempt {}", address(), what, failure, attempts);
            Duration wait = backoff;
            if (deadline.left().compareTo(wait) <= 0) {
                break;
            }
            sleep(wait);
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
        throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "Vault at " + address() + ": " + what + " failed: "
                + failure + " (" + attempts + (attempts == 1 ? " attempt" : " attempts") + " in "
 + seconds(since(started)) + ", timeout " + seconds(settings.timeout()) + ")");
    }

    private Answer send(String method, String path, String token, JsonNode body, Duration left)
            throws IOException, TimeoutException, CiJwtException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(address() + "/v1/" + path))
                .timeout(left)
                .header("X-Vault-Request", "true")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        settings.namespace().ifPresent(ns -> request.header("X-Vault-Namespace", ns));
        if (token != null) {
            request.header("X-Vault-Token", token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        requests.incrementAndGet();
        CompletableFuture<HttpResponse<byte[]>> future = client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        try {
            long sent = System.nanoTime();
            HttpResponse<byte[]> response = future.get(Math.max(1, left.toMillis()), TimeUnit.MILLISECONDS);
            // Method, path and status only: headers hold the token and bodies may hold tokens or signatures.
            LOG.debug("Vault at {}: {} /v1/{} answered {} in {} ms", address(), method, path, response.statusCode(),
                    Duration.ofNanos(System.nanoTime() - sent).toMillis());
            return new Answer(response.statusCode(), parse(response.body()));
        } catch (TimeoutException e) {
            future.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpTimeoutException && !(cause instanceof HttpConnectTimeoutException)) {
                throw new TimeoutException("no answer");
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(cause);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "interrupted while waiting for Vault at " + address());
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
        if (hasCause(e, HttpConnectTimeoutException.class)) {
            return "connect timed out";
        }
        if (hasCause(e, ConnectException.class)) {
            return "connection refused";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return "TLS failed: " + oneLine(String.valueOf(t.getMessage()));
            }
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + oneLine(root.getMessage()));
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static Duration since(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    static String oneLine(String text) {
        return text.replaceAll("\\s*\\n\\s*", " ").replace("1 error occurred: * ", "").trim();
    }

    private void sleep(Duration d) throws CiJwtException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "interrupted while waiting to retry Vault at " + address());
        }
    }
}
