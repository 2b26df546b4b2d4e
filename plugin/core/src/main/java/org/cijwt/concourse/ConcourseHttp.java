package org.cijwt.concourse;

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
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;
import org.cijwt.io.SecureFiles;
import org.cijwt.keys.PemReader;

/**
 * Concourse's HTTP API through the JDK's client: TLS verified against the operator's CA file, no
 * redirects (an answer may not send the password or the token elsewhere), and every call bounded
 * by the deadline of the operation it serves. A call that fails or runs out of time is one
 * {@code CJ801} line naming Concourse's URL and the reason, never a header.
 */
final class ConcourseHttp {
    static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient client;

    /** One answer: status and body. */
    record Answer(int status, String body) {
        JsonNode json(ConcourseHttp http, String what) throws CiJwtException {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw http.unusable(what, "its answer (" + status + ") is not JSON");
            }
        }
    }

    /** When an operation must be done by; each call gets what is left. */
    record Deadline(long endNanos, Duration total) {
        static Deadline after(Duration total) {
            return new Deadline(System.nanoTime() + total.toNanos(), total);
        }

        Duration remaining() {
            return Duration.ofNanos(Math.max(0, endNanos - System.nanoTime()));
        }
    }

    ConcourseHttp(ConcourseSettings settings) throws CiJwtException {
        this.base = settings.url();
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.timeout());
        if (settings.caFile().isPresent()) {
            builder.sslContext(sslContext(settings.caFile().get()));
        }
        this.client = builder.build();
    }

    URI base() {
        return base;
    }

    /** An API path from segments, each percent-encoded: a team name or handle stays one segment. */
    static String path(String... segments) {
        StringBuilder out = new StringBuilder();
        for (String s : segments) {
            out.append('/').append(URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return out.toString();
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path));
    }

    /**
     * Sends one request and waits for the whole answer until the deadline.
     *
     * @param what what the call is for, for the error ("the team list"); printable
     */
    Answer send(HttpRequest.Builder request, Deadline deadline, String what) throws CiJwtException {
        return sendAll(List.of(request), deadline, what).get(0);
    }

    /** Sends the requests at once and waits for every answer until the deadline; the first failure is the error. */
    List<Answer> sendAll(Collection<HttpRequest.Builder> requests, Deadline deadline, String what) throws CiJwtException {
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (HttpRequest.Builder r : requests) {
            Duration left = deadline.remaining();
            if (left.isZero()) {
                futures.forEach(f -> f.cancel(true));
                throw timedOut(what, deadline);
            }
            futures.add(client.sendAsync(r.timeout(left).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
        }
        List<Answer> answers = new ArrayList<>();
        try {
            for (CompletableFuture<HttpResponse<String>> f : futures) {
                HttpResponse<String> response = f.get(Math.max(1, deadline.remaining().toNanos()), TimeUnit.NANOSECONDS);
                answers.add(new Answer(response.statusCode(), response.body()));
            }
            return answers;
        } catch (TimeoutException e) {
            throw timedOut(what, deadline);
        } catch (ExecutionException e) {
            throw failed(what, e.getCause(), deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CiJwtException(ErrorCode.CONCOURSE_UNAVAILABLE, "the call to Concourse at " + base + " for "
                    + what + " was interrupted");
        } finally {
            futures.forEach(f -> f.cancel(true));
        }
    }

    private CiJwtException timedOut(String what, Deadline deadline) {
        return new CiJwtException(ErrorCode.CONCOURSE_UNAVAILABLE, "Concourse at " + base + " did not answer " + what
                + " within " + readable(deadline.total()));
    }

    private CiJwtException failed(String what, Throwable cause, Deadline deadline) {
        if (cause instanceof HttpTimeoutException && !(cause instanceof HttpConnectTimeoutException)) {
            return timedOut(what, deadline);
        }
        String reason;
        if (cause instanceof HttpConnectTimeoutException) {
            reason = "the connection timed out";
        } else if (cause instanceof ConnectException) {
            reason = "connection refused";
        } else if (cause instanceof SSLException) {
            reason = "TLS failed (" + firstLine(cause) + "); is " + ConcourseSettings.CA_FILE + " the CA that signed its certificate?";
        } else {
            reason = firstLine(cause);
        }
        return new CiJwtException(ErrorCode.CONCOURSE_UNAVAILABLE, "Concourse at " + base + " did not answer " + what
                + ": " + reason);
    }

    /** Concourse answered, but not in a way the agent can use: fail closed, naming the call and the answer. */
    CiJwtException unusable(String what, String problem) {
        return new CiJwtException(ErrorCode.CONCOURSE_UNAVAILABLE, "Concourse at " + base + " answered " + what
                + " with something ci-jwt cannot use: " + problem);
    }

    /** Concourse answered with a status the call does not expect. */
    CiJwtException unexpected(String what, Answer answer) {
        String body = answer.body() == null ? "" : answer.body().strip();
        String shown = body.length() > 200 ? body.substring(0, 200) + "..." : body;
        return new CiJwtException(ErrorCode.CONCOURSE_UNAVAILABLE, "Concourse at " + base + " answered " + what
                + " with HTTP " + answer.status() + (shown.isEmpty() ? "" : " (" + Printable.of(shown) + ")"));
    }

    private static String firstLine(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            return t.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return Printable.of(nl < 0 ? m : m.substring(0, nl));
    }

    static String readable(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** Trusts exactly the certificates of the operator's CA file, not the JVM's store. */
    private static SSLContext sslContext(Path caFile) throws CiJwtException {
        String what = ConcourseSettings.CA_FILE + " " + caFile;
        // The one PEM reader: it names the file, refuses a block that is not a certificate, and never quotes PEM.
        List<X509Certificate> certificates = PemReader.readCertificates(caFile,
                rule -> new CiJwtException(ErrorCode.TLS_INVALID, "setting " + ConcourseSettings.CA_FILE + ": " + rule));
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (X509Certificate c : certificates) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new CiJwtException(ErrorCode.TLS_INVALID, what + ": the certificates cannot be used ("
                    + e.getClass().getSimpleName() + ")");
        }
    }
}
