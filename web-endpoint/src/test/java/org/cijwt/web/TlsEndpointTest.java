package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import org.cijwt.testkit.TestTls;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server with {@code tls_cert}/{@code tls_key}: a self-signed certificate for 127.0.0.1 and
 * localhost is made per run for the committed TEST RSA key, and clients trust exactly that certificate.
 */
class TlsEndpointTest extends ServerTestBase {
    @TempDir
    static Path tlsDir;

    static TestTls tls;

    @BeforeAll
    static void makeSelfSignedCertificate() throws Exception {
        tls = TestTls.write(tlsDir);
    }

    @Override
    WebConfig.Builder configure(WebConfig.Builder b) {
        return b.tls(tls.cert(), tls.key());
    }

    @Test
    void serveWhenTlsConfiguredThenDiscoveryAndJwksOverHttpsWithThatCertificate(Vertx vertx, VertxTestContext tc) {
        WebClient https = WebClient.create(vertx, new WebClientOptions().setSsl(true).setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(tls.certPem()))));
        assertThat(server.baseUri().getScheme()).isEqualTo("https");
        https.get(port(), "127.0.0.1", Endpoints.DISCOVERY).send()
                .compose(discovery -> {
                    tc.verify(() -> {
                        assertThat(discovery.statusCode()).isEqualTo(200);
                        JsonObject doc = discovery.bodyAsJsonObject();
                        assertThat(doc.getString("issuer")).isEqualTo(ISSUER);
                        assertThat(doc.getString("jwks_uri")).isEqualTo(ISSUER + Endpoints.JWKS);
                    });
                    // Host name verification against the DNS name in the certificate as well as its IP.
                    return https.get(port(), "localhost", Endpoints.JWKS).send();
                })
                .onComplete(tc.succeeding(jwks -> tc.verify(() -> {
                    assertThat(jwks.statusCode()).isEqualTo(200);
                    assertThat(jwks.getHeader("ETag")).isNotBlank();
                    assertThat(jwks.bodyAsJsonObject().getJsonArray("keys")).hasSize(3);
                    https.close();
                    tc.completeNow();
                })));
    }

    @Test
    void serveWhenTlsConfiguredThenPlainHttpOnTheSamePortGetsNoJwks(VertxTestContext tc) {
        client.get(port(), "127.0.0.1", Endpoints.JWKS).send()
                .<String>transform(ar -> Future.succeededFuture(ar.failed() ? "failed: " + ar.cause().getClass().getSimpleName()
                        : ar.result().statusCode() + " " + ar.result().bodyAsString()))
                .onComplete(tc.succeeding(outcome -> tc.verify(() -> {
                    // Either the connection is dropped or it gets an error status; never the key set.
                    assertThat(outcome).doesNotStartWith("200").doesNotContain("\"keys\"");
                    tc.completeNow();
                })));
    }
}
