package org.cijwt.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.cijwt.claims.ClaimNames;
import org.cijwt.tokens.Rejection;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/tokens/introspect} (RFC 7662): reads {@code token} and the expected
 * {@code audience} from a form or JSON body, verifies the token against the key ring and answers
 * whether it is active. The audience may be left out only when the server has {@code audiences}
 * configured; a request that gives no audience to a server without them is a 400, never an
 * answer for a token of any audience. Slow signature checks run on a worker pool, never on the
 * event loop.
 */
final class IntrospectionHandler implements Handler<RoutingContext> {
    private static final Logger LOG = LoggerFactory.getLogger(IntrospectionHandler.class);
    static final String FORM = "application/x-www-form-urlencoded";
    /** Members of the answer that the server writes itself; a claim of the same name is not copied. */
    private static final Set<String> OURS = Set.of("active", "kid", "alg", "reason");
    /** Jackson, with a codec: claims hold lists and nested objects. */
    private static final JsonFactory JSON = new ObjectMapper().getFactory();
    private static final JsonStringEncoder QUOTE = JsonStringEncoder.getInstance();
    private static final byte[] ACTIVE_PREFIX = "{\"active\":true,".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KID = ",\"kid\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ALG = "\",\"alg\":\"".getBytes(StandardCharsets.US_ASCII);

    private final TokenVerifier verifier;
    private final WorkerExecutor workers;
    private final WebMetrics metrics;
    private final boolean reasons;
    private final boolean inlineEdDsa;
    private final ConcourseBuilds builds;

    IntrospectionHandler(TokenVerifier verifier, WorkerExecutor workers, WebMetrics metrics, boolean reasons, boolean inlineEdDsa) {
        this(verifier, workers, metrics, reasons, inlineEdDsa, null);
    }

    /** @param builds whether a token's build has finished; null when serve knows no Concourse */
    IntrospectionHandler(TokenVerifier verifier, WorkerExecutor workers, WebMetrics metrics, boolean reasons, boolean inlineEdDsa,
                         ConcourseBuilds builds) {
        this.verifier = verifier;
        this.workers = workers;
        this.metrics = metrics;
        this.reasons = reasons;
        // Asking Concourse blocks: never on the event loop.
        this.inlineEdDsa = inlineEdDsa && builds == null;
        this.builds = builds;
    }

    static String mediaType(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    @Override
    public void handle(RoutingContext ctx) {
        String token;
        String audience;
        Buffer raw = RequestBody.of(ctx);
        if (Endpoints.JSON.equals(mediaType(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE)))) {
            JsonObject body;
            try {
                body = jsonBody(raw);
            } catch (DecodeException | ClassCastException e) {
                invalidRequest(ctx, "the body is not a JSON object");
                return;
            }
            if (!(body.getValue("token") instanceof String t)) {
                invalidRequest(ctx, "the body has no string member 'token'");
                return;
            }
            Object aud = body.getValue("audience");
            if (aud != null && !(aud instanceof String)) {
                invalidRequest(ctx, "'audience' must be a string");
                return;
            }
            token = t;
            audience = (String) aud;
        } else {
            Map<String, List<String>> form;
            try {
                form = formParameters(raw);
            } catch (IllegalArgumentException e) {
                // Not the decoder's message: it quotes the body, and the body holds the token.
                invalidRequest(ctx, "the body is not application/x-www-form-urlencoded: it has a malformed %-escape");
                return;
            }
            for (String name : List.of("token", "audience", "token_type_hint")) {
                if (form.getOrDefault(name, List.of()).size() > 1) {
                    // RFC 6749 section 3.1: a request parameter must not appear more than once.
                    invalidRequest(ctx, "the form gives the parameter '" + name + "' more than once");
                    return;
                }
            }
            token = first(form, "token");
            audience = first(form, "audience");
            if (token == null) {
                invalidRequest(ctx, "the form has no parameter 'token'");
                return;
            }
        }
        String expected = audience == null || audience.isEmpty() ? null : audience;
        if (expected == null && verifier.audiences().isEmpty()) {
            // Safe by default: with nothing to compare, a token minted for any other relying party would pass.
            invalidRequest(ctx, "no audience to check the token against: send the 'audience' parameter,"
                    + " or set 'audiences' in the server's configuration");
            return;
        }
        Future<Answer> result = inlineEdDsa && isEdDsa(token)
                ? Future.succeededFuture(answer(verify(token, expected)))
                : workers.executeBlocking(() -> answer(buildCheck(verify(token, expected))), false);
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                send(ctx, ar.result());
            } else {
                ctx.fail(ar.cause());
            }
        });
    }

    private static JsonObject jsonBody(Buffer buf) {
        if (buf.length() == 0) {
            throw new DecodeException("empty body");
        }
        return new JsonObject(buf);
    }

    /**
     * The parameters of an {@code application/x-www-form-urlencoded} body, decoded as UTF-8 with
     * {@code +} as a space and {@code ;} as an ordinary character (the WHATWG URL standard's form
     * parser); at most 16 are read. A bad percent-escape is an {@link IllegalArgumentException}.
     */
    static Map<String, List<String>> formParameters(Buffer body) {
        return QueryStringDecoder.builder().hasPath(false).semicolonIsNormalChar(true).maxParams(16)
                .build(body.toString(StandardCharsets.UTF_8)).parameters();
    }

    private static String first(Map<String, List<String>> form, String name) {
        List<String> values = form.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private Verification verify(String token, String audience) {
        try {
            return verifier.verify(token, audience);
        } catch (RuntimeException e) {
            // The verifier turns bad input into rejections; anything escaping it is still the
            // caller's token, so answer "malformed" rather than a 500, and log without the token.
            LOG.warn("verifier failed on a token ({}); answered as malformed", e.getClass().getSimpleName());
            return new Verification.Rejected(Rejection.MALFORMED, "the token could not be processed");
        }
    }

    /**
     * A valid token whose build Concourse says has finished is inactive ({@code build_finished}).
     * When Concourse does not answer, the token is answered as its signature and times say: it is
     * short-lived, a relying party that verifies against the JWKS alone never asks Concourse either,
     * and failing closed would make every relying party fail with Concourse.
     */
    private Verification buildCheck(Verification v) {
        if (builds == null || !(v instanceof Verification.Accepted a)) {
            return v;
        }
        Object build = a.claims().getClaim(org.cijwt.claims.ClaimNames.BUILD_ID);
        if (!(build instanceof String buildId)) {
            return v;
        }
        try {
            return builds.finished(buildId) ? new Verification.Rejected(Rejection.BUILD_FINISHED, "build " + buildId + " has finished") : v;
        } catch (org.cijwt.errors.CiJwtException | RuntimeException e) {
            LOG.debug("build {}: whether it finished is unknown now ({}); answered by the token alone", buildId, e.getMessage());
            return v;
        }
    }

    /** What a verification becomes on the wire: the JSON body and the metric's result label. */
    private record Answer(Buffer body, String result) {
    }

    /**
     * The RFC 7662 answer, written straight to JSON bytes on the worker that verified the token:
     * {@code active}, the claims, then the {@code kid} and {@code alg} that verified it; or {@code
     * active: false} with the reason when reasons are on. The claims are the token's own bytes
     * ({@link #spliced}) when they can be; otherwise they are written one by one, the registered
     * claims, the build claims and any others, in the order people read them.
     */
    private Answer answer(Verification v) {
        if (v instanceof Verification.Accepted a) {
            Buffer spliced = spliced(a);
            if (spliced != null) {
                return new Answer(spliced, WebMetrics.ACTIVE);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        String result;
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            if (v instanceof Verification.Accepted a) {
                g.writeBooleanField("active", true);
                Map<String, Object> claims = a.claims().toJSONObject();
                for (String name : ClaimNames.ALL) {
                    Object value = claims.get(name);
                    if (value != null && !OURS.contains(name)) {
                        g.writeObjectField(name, value);
                    }
                }
                for (Map.Entry<String, Object> claim : claims.entrySet()) {
                    if (!OURS.contains(claim.getKey()) && !ClaimNames.RESERVED.contains(claim.getKey())) {
                        g.writeObjectField(claim.getKey(), claim.getValue());
                    }
                }
                g.writeStringField("kid", a.kid());
                g.writeStringField("alg", a.algorithm().jwaName());
                result = WebMetrics.ACTIVE;
            } else {
                Verification.Rejected r = (Verification.Rejected) v;
                g.writeBooleanField("active", false);
                if (reasons) {
                    g.writeStringField("reason", r.reason().wireName());
                }
                result = r.reason().wireName();
            }
            g.writeEndObject();
        } catch (IOException e) {
            // A ByteArrayOutputStream does not fail, and the claims are JSON they were parsed from.
            throw new UncheckedIOException(e);
        }
        return new Answer(Buffer.buffer(out.toByteArray()), result);
    }

    /**
     * The answer to an accepted token built around the claims' own JSON bytes, which the verifier
     * parsed strictly (one UTF-8 object, no member twice, nothing after it), instead of writing every
     * claim again: {@code {"active":true,} + the members as the token carried them + {@code
     * ,"kid":...,"alg":...}}. Null, and the answer is written member by member, when the claims
     * hold a member the server writes itself ({@code active}, {@code kid}, {@code alg}, {@code
     * reason}: never two of one name), are empty, or are not plain UTF-8 text in braces.
     */
    static Buffer spliced(Verification.Accepted a) {
        Set<String> names = a.claims().getClaims().keySet();
        if (names.isEmpty() || OURS.stream().anyMatch(names::contains)) {
            return null;
        }
        byte[] claims = a.claimsJson();
        int last = claims.length - 1;
        if (last < 1 || claims[0] != '{' || claims[last] != '}') {
            return null;
        }
        for (byte b : claims) {
            if (b == 0) {
                // UTF-16 or UTF-32, which Jackson reads but is not this answer's UTF-8.
                return null;
            }
        }
        byte[] kid = QUOTE.quoteAsUTF8(a.kid());
        byte[] alg = a.algorithm().jwaName().getBytes(StandardCharsets.US_ASCII);
        Buffer b = Buffer.buffer(ACTIVE_PREFIX.length + last - 1 + KID.length + kid.length + ALG.length + alg.length + 2);
        b.appendBytes(ACTIVE_PREFIX).appendBytes(claims, 1, last - 1)
                .appendBytes(KID).appendBytes(kid).appendBytes(ALG).appendBytes(alg).appendString("\"}");
        return b;
    }

    private void send(RoutingContext ctx, Answer answer) {
        metrics.introspection(answer.result());
        ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, Endpoints.JSON)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(answer.body());
    }

    private static void invalidRequest(RoutingContext ctx, String description) {
        ctx.response()
                .setStatusCode(400)
                .putHeader(HttpHeaders.CONTENT_TYPE, Endpoints.JSON)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(new JsonObject().put("error", "invalid_request").put("error_description", description).toBuffer());
    }

    /**
     * Reads only the header's alg, to decide where to verify; a header we cannot read is left to
     * the verifier, which rejects it quickly either way.
     */
    static boolean isEdDsa(String token) {
        int dot = token.indexOf('.');
        if (dot <= 0 || dot > 1024) {
            return true;
        }
        try {
            byte[] header = Base64.getUrlDecoder().decode(token.substring(0, dot).strip());
            Object alg = new JsonObject(new String(header, StandardCharsets.UTF_8)).getValue("alg");
            return "EdDSA".equals(alg) || alg == null;
        } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
            return true;
        }
    }
}
