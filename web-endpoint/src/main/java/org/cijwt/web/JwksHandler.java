package org.cijwt.web;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /.well-known/jwks.json}: the public keys, with a strong ETag and a public max-age, and
 * 304 when the caller already has these bytes.
 */
final class JwksHandler implements Handler<RoutingContext> {
    private final PublishedDocuments documents;
    private final String cacheControl;

    JwksHandler(PublishedDocuments documents, String cacheControl) {
        this.documents = documents;
        this.cacheControl = cacheControl;
    }

    @Override
    public void handle(RoutingContext ctx) {
        PublishedDocuments.Snapshot s = documents.current();
        HttpServerResponse res = ctx.response()
                .putHeader(HttpHeaders.ETAG, s.etag())
                .putHeader(HttpHeaders.CACHE_CONTROL, cacheControl);
        if (matches(ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH), s.etag())) {
            res.setStatusCode(304).end();
            return;
        }
        res.putHeader(HttpHeaders.CONTENT_TYPE, Endpoints.JWKS_TYPE).end(s.jwks());
    }

    /** If-None-Match uses the weak comparison (RFC 9110 13.1.2): a W/ prefix does not matter. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.trim();
            if (c.equals("*")) {
                return true;
            }
            if (c.startsWith("W/")) {
                c = c.substring(2);
            }
            if (c.equals(etag)) {
                return true;
            }
        }
        return false;
    }
}
