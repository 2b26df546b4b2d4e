package org.cijwt.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.jopenlibs.vault.rest.Rest;
import io.github.jopenlibs.vault.rest.RestException;
import io.github.jopenlibs.vault.rest.RestResponse;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.vars.VarResolutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vault's HTTP API through the Vault Java Driver's {@link Rest} client, with the settings of one
 * admitted var source: address, namespace header, TLS material, timeouts, and bounded retries with
 * backoff on connection errors and 502/503/504 only, never on another 4xx or 5xx answer.
 *
 * <p>The driver's {@code Logical} API is not used for reads because it rewrites KV paths by its own
 * rules and retries every failure, 4xx included; its {@code Rest} client gives the status and body.
 * Its {@code SslConfig} is not used either: it reads only RSA client keys and one CA certificate,
 * offers TLS 1.2 only, and consults {@code VAULT_SSL_CERT} from the environment; the context is made
 * from the parsed {@link TlsMaterial} instead.
 */
final class VaultHttp {

    private static final Logger LOG = LoggerFactory.getLogger(VaultHttp.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final VaultVarSourceConfig config;
    private final HttpClient client;

    /** One answer from Vault: status and body parsed as JSON (an empty object when there is none). */
    record Answer(int status, JsonNode json) {

        boolean ok() {
            return status / 100 == 2;
        }

        /** Vault's {@code errors} joined into one line, or {@code HTTP <status>} when it gave none. */
        String reason() {
            List<String> errors = new ArrayList<>();
            json.path("errors").forEach(e -> errors.add(e.asText().replaceAll("\\s*\\n\\s*", " ").trim()));
            errors.removeIf(String::isEmpty);
            return errors.isEmpty() ? "HTTP " + status : String.join("; ", errors);
        }
    }

    /**
     * The client for one admitted source. Redirects are never followed (the JDK's default, kept on
     * purpose): an answer may not send the minted token or the client certificate to another server.
     */
    VaultHttp(AdmittedVarSource source) throws CiJwtException {
        this.config = source.config();
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(config.connectTimeout());
        Optional<SSLContext> ssl = PemTls.sslContext(source.tls(), config.origin() + ".config");
        ssl.ifPresent(builder::sslContext);
        this.client = builder.build();
    }

    /** Percent-encodes each segment of a logical path, so names with spaces or dots stay one segment. */
    static String encodePath(String path) {
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
     * Sends one request, retrying connection failures and 502/503/504 with doubling backoff.
     *
     * @param method GET or POST
     * @param path the path below {@code /v1/}, unencoded
     * @param token the Vault token, or null (login)
     * @param body a JSON body, or null
     * @param readTimeout how long to wait for the answer
     * @param what what the call is for, e.g. "login at auth/concourse/login"; used in errors
     */
    Answer send(String method, String path, String token, String body, Duration readTimeout, String what)
            throws VarResolutionException {
        int attempts = config.retryMax() + 1;
        Duration backoff = config.retryInitial();
        String failure = null;
        long started = System.nanoTime();
        for (int attempt = 1; attempt <= attempts; attempt++) {
            if (attempt > 1) {
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
            try {
                RestResponse response = request(path, token, body, readTimeout, method);
                Answer answer = new Answer(response.getStatus(), parse(response.getBody()));
                int status = answer.status();
                if (status == 502 || status == 503 || status == 504) {
                    failure = "Vault answered " + status + " (" + answer.reason() + ")";
                    LOG.debug("{} for {}: {}, attempt {} of {}", config.name(), what, failure, attempt, attempts);
                    continue;
                }
                return answer;
            } catch (RestException e) {
                failure = describeConnectionFailure(e);
                if (!retryable(e)) {
                    break;
                }
                LOG.debug("{} for {}: {}, attempt {} of {}", config.name(), what, failure, attempt, attempts);
            }
        }
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        throw new VarResolutionException(ErrorCode.VAULT_FAILED, "cannot reach Vault at " + config.address() + " for "
                + what + ": " + failure + " (" + attempts + (attempts == 1 ? " attempt" : " attempts") + " in "
                + seconds + " s)");
    }

    private RestResponse request(String path, String token, String body, Duration readTimeout, String method)
            throws RestException {
        Rest rest = new Rest(client)
                .url(config.address() + "/v1/" + encodePath(path))
                .header("X-Vault-Request", "true")
                .connectTimeoutSeconds(seconds(config.connectTimeout()))
                .readTimeoutSeconds(seconds(readTimeout));
        config.namespace().ifPresent(ns -> rest.header("X-Vault-Namespace", ns));
        if (token != null) {
            rest.header("X-Vault-Token", token);
        }
        if (body != null) {
            rest.header("Content-Type", "application/json").body(body.getBytes(StandardCharsets.UTF_8));
        }
        return switch (method) {
            case "GET" -> rest.get();
            case "POST" -> rest.post();
            default -> throw new IllegalArgumentException("unsupported method " + method);
        };
    }

    private static int seconds(Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (d.toMillis() + 999) / 1000));
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(body);
            return node == null ? JSON.createObjectNode() : node;
        } catch (IOException e) {
            // A proxy's HTML error page, for example; the status still tells what happened.
            return JSON.createObjectNode();
        }
    }

    private static boolean retryable(RestException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return false;
            }
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    private static String describeConnectionFailure(RestException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpConnectTimeoutException) {
                return "connect timed out";
            }
            if (t instanceof HttpTimeoutException) {
                return "no answer within the timeout";
            }
            if (t instanceof ConnectException) {
                return "connection refused";
            }
            if (t instanceof SSLException) {
                return "TLS failed: " + t.getMessage();
            }
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    private static void sleep(Duration d) throws VarResolutionException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VarResolutionException(ErrorCode.VAULT_FAILED, "interrupted while waiting to retry Vault");
        }
    }
}
