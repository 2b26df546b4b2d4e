package org.cijwt.web;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads a request body of at most {@code limit} bytes into memory for the next handler
 * ({@link #of}): 413 as soon as the declared or the received length passes the limit, 408 (and the
 * connection closed) when the body has not arrived within the deadline, 417 for an expectation
 * other than {@code 100-continue}. Memory grows with the bytes received, never with the length a
 * client declares. Unlike Vert.x Web's {@code BodyHandler} it never
 * runs Netty's form decoder over an {@code application/x-www-form-urlencoded} body: that decoder
 * ends every body by throwing an exception, and with the attribute map it builds it was a fifth of
 * the event loop's time under introspection load. The introspection handler reads its parameters
 * from the bytes itself.
 */
final class RequestBody implements Handler<RoutingContext> {
    private static final String KEY = RequestBody.class.getName();

    /** The most allocated for a body before its bytes show it needs more: a token with room to spare. */
    static final int FIRST_ALLOCATION = 2048;

    private final int limit;
    private final long deadlineMillis;

    /**
     * @param limit the largest body accepted (413 beyond it)
     * @param deadline how long the whole body may take to arrive once the headers have (408 after it)
     */
    RequestBody(int limit, java.time.Duration deadline) {
        this.limit = limit;
        this.deadlineMillis = Math.max(1, deadline.toMillis());
    }

    /** The body {@link RequestBody} read for this request. */
    static Buffer of(RoutingContext ctx) {
        Buffer body = ctx.get(KEY);
        return body == null ? Buffer.buffer() : body;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        long declared = declaredLength(request);
        if (declared > limit) {
            ctx.fail(413);
            return;
        }
        String expect = request.getHeader(HttpHeaders.EXPECT);
        if (expect != null) {
            if (!expect.equalsIgnoreCase("100-continue")) {
                ctx.fail(417);
                return;
            }
            // An HTTP/1.0 server must ignore the expectation (RFC 9110 section 10.1.1).
            if (request.version() != HttpVersion.HTTP_1_0) {
                request.response().writeContinue();
            }
        }
        if (request.isEnded()) {
            ctx.put(KEY, Buffer.buffer());
            ctx.next();
            return;
        }
        // Nothing is allocated until body bytes arrive, and then no more than a typical token's size:
        // a client that declares 16 KiB and sends nothing holds no buffer (review finding 3, issue 20).
        Buffer[] body = {null};
        boolean[] done = {false};
        long deadline = ctx.vertx().setTimer(deadlineMillis, t -> {
            if (!done[0]) {
                done[0] = true;
                // The connection goes too: a client that stalls mid-body gets no second request on it.
                ctx.response().putHeader(HttpHeaders.CONNECTION, "close").endHandler(v -> request.connection().close());
                ctx.fail(408);
            }
        });
        request.handler(chunk -> {
            if (done[0]) {
                return;
            }
            int have = body[0] == null ? 0 : body[0].length();
            if (have + chunk.length() > limit) {
                done[0] = true;
                ctx.vertx().cancelTimer(deadline);
                ctx.fail(413);
                return;
            }
            if (body[0] == null) {
                body[0] = Buffer.buffer((int) Math.min(Math.max(declared, chunk.length()), FIRST_ALLOCATION));
            }
            body[0].appendBuffer(chunk);
        }).endHandler(v -> {
            ctx.vertx().cancelTimer(deadline);
            if (!done[0]) {
                done[0] = true;
                ctx.put(KEY, body[0] == null ? Buffer.buffer() : body[0]);
                ctx.next();
            }
        }).resume();
    }

    /** Content-Length as sent, or -1 when there is none or it is not a number. */
    private static long declaredLength(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null || length.isEmpty()) {
            return -1;
        }
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
