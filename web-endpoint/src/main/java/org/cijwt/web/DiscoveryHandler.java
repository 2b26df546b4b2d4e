package org.cijwt.web;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /.well-known/openid-configuration}: issuer, key and introspection URLs, algorithms, claims. */
final class DiscoveryHandler implements Handler<RoutingContext> {
    private final PublishedDocuments documents;
    private final String cacheControl;

    DiscoveryHandler(PublishedDocuments documents, String cacheControl) {
        this.documents = documents;
        this.cacheControl = cacheControl;
    }

    @Override
    public void handle(RoutingContext ctx) {
        ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, Endpoints.JSON)
                .putHeader(HttpHeaders.CACHE_CONTROL, cacheControl)
                .end(documents.current().discovery());
    }
}
