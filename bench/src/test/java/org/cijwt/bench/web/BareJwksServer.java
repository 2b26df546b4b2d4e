package org.cijwt.bench.web;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmark baseline: a bare Vert.x server that answers every request with the same JWKS
 * bytes from memory, one instance per event loop, nothing else. Not part of ci-jwt; started by
 * {@code bench/run} and {@code bench/run baselines}.
 *
 * <p>Usage: {@code BareJwksServer PORT JWKS_FILE}
 */
public final class BareJwksServer {
    private BareJwksServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Buffer body = Buffer.buffer(Files.readAllBytes(Path.of(args[1])));
        Vertx vertx = Vertx.vertx();
        int loops = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < loops; i++) {
            vertx.createHttpServer()
                    .requestHandler(req -> req.response()
                            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                            .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=300")
                            .end(body))
                    .listen(port, "127.0.0.1")
                    .await();
        }
        System.out.println("bare Vert.x JWKS server on 127.0.0.1:" + port);
    }
}
