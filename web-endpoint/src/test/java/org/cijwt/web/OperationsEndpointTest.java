package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.junit5.VertxTestContext;
import org.cijwt.jose.SigningAlgorithm;
import org.junit.jupiter.api.Test;

class OperationsEndpointTest extends ServerTestBase {

    @Test
    void healthzWhenProcessRunsThenUp(VertxTestContext tc) {
        client.get(port(), "127.0.0.1", Endpoints.HEALTHZ).send().onComplete(tc.succeeding(res -> tc.verify(() -> {
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.bodyAsJsonObject().getString("status")).isEqualTo("up");
            tc.completeNow();
        })));
    }

    @Test
    void readyzWhenKeysLoadedThenReadyWithKeyCount(VertxTestContext tc) {
        client.get(port(), "127.0.0.1", Endpoints.READYZ).send().onComplete(tc.succeeding(res -> tc.verify(() -> {
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.bodyAsJsonObject().getString("status")).isEqualTo("ready");
            assertThat(res.bodyAsJsonObject().getInteger("published_keys")).isEqualTo(3);
            tc.completeNow();
        })));
    }

    @Test
    void metricsWhenRequestsWereServedThenCountedByRouteStatusAndReason(VertxTestContext tc) throws Exception {
        String token = mint(SigningAlgorithm.EdDSA).compact();
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token))
                .compose(r -> client.post(port(), "127.0.0.1", Endpoints.INTROSPECT)
                        .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token)))
                .compose(r -> client.post(port(), "127.0.0.1", Endpoints.INTROSPECT)
                        .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", "x.y.z")))
                .compose(r -> client.get(port(), "127.0.0.1", Endpoints.JWKS).send())
                .compose(r -> client.get(port(), "127.0.0.1", "/no/such/path").send())
                .compose(r -> {
                    tc.verify(() -> assertThat(r.statusCode()).isEqualTo(404));
                    return client.get(port(), "127.0.0.1", Endpoints.METRICS).send();
                })
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(200);
                    assertThat(res.getHeader("Content-Type")).startsWith("text/plain");
                    String text = res.bodyAsString();
                    assertThat(text).contains("cijwt_introspections_total{result=\"active\"} 2.0");
                    // The same token twice: one signature check, one answer from the cache; the
                    // malformed string never reaches the cache.
                    assertThat(text).contains("cijwt_verify_cache_lookups_total{result=\"hit\"} 1.0")
                            .contains("cijwt_verify_cache_lookups_total{result=\"miss\"} 1.0");
                    assertThat(text).contains("cijwt_introspections_total{result=\"malformed\"} 1.0");
                    assertThat(text).contains("cijwt_keys_published 3.0");
                    assertThat(text).contains("cijwt_keys_degraded 0.0");
                    assertThat(text).contains("cijwt_keys_reload_failures_total 0.0");
                    assertThat(text).containsPattern("cijwt_http_server_requests_seconds_count\\{route=\"/api/v1/tokens/introspect\",status=\"200\"} 3");
                    assertThat(text).containsPattern("cijwt_http_server_requests_seconds_count\\{route=\"/.well-known/jwks.json\",status=\"200\"} 1");
                    assertThat(text).contains("cijwt_http_server_requests_seconds_bucket{route=\"/.well-known/jwks.json\",status=\"200\",le=");
                    assertThat(text).contains("route=\"unmatched\",status=\"404\"");
                    // What an operator's dashboards expect beyond the server's own families (issue 10).
                    assertThat(text).contains("jvm_memory_used_bytes").contains("process_cpu_usage").contains("jvm_threads_live_threads")
                            .contains("process_uptime_seconds").contains("cijwt_build_info{component=\"serve\"");
                    assertThat(text).contains("cijwt_keys{algorithm=\"EdDSA\",state=\"signing\"} 1.0")
                            .contains("cijwt_keys_signing_age_seconds{algorithm=\"ES256\"").contains("cijwt_keys_next_rotation_seconds");
                    assertThat(text).doesNotContain(token);
                    tc.completeNow();
                })));
    }

    @Test
    void closeWhenCalledThenDrainsAndStopsAcceptingConnections(VertxTestContext tc) {
        server.close()
                .compose(v -> {
                    tc.verify(() -> assertThat(server.draining()).isTrue());
                    return client.get(port(), "127.0.0.1", Endpoints.HEALTHZ).send();
                })
                .onComplete(tc.failing(e -> tc.completeNow()));
    }
}
