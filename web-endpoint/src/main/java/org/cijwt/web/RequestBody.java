package org.cijwt.web;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads a request body of at most {@code limit} bytes into memory for the next handler
 * ({@link #of}): 413 as soon as the declared or the received length passes the limit, 417 for an
 * expectation other than {@code 100-continue}. Unlike Vert.x Web's {@code BodyHandler} it never
 * runs Netty's form decoder over an {@code application/x-www-form-urlencoded} body: that decoder
 * ends every body by throwing an exception, and with the attribute map it builds it was a fifth of
 * the event loop's time under introspection load. The introspection handler reads its parameters
 * from the bytes itself.
 */
final class RequestBody implements Handler<RoutingContext> {
    private static final String KEY = RequestBody.class.getName();

    private final int limit;

    RequestBody(int limit) {
        this.limit = limit;
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
        Buffer body = Buffer.buffer(declared > 0 ? (int) declared : 256);
        boolean[] tooLarge = {false};
        request.handler(chunk -> {
            if (tooLarge[0]) {
                return;
            }
            if (body.length() + chunk.length() > limit) {
                tooLarge[0] = true;
                ctx.fail(413);
                return;
            }
            body.appendBuffer(chunk);
        }).endHandler(v -> {
            if (!tooLarge[0]) {
                ctx.put(KEY, body);
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
