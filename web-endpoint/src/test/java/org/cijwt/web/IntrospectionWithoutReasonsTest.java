package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import org.cijwt.jose.SigningAlgorithm;
import org.junit.jupiter.api.Test;

class IntrospectionWithoutReasonsTest extends ServerTestBase {

    @Override
    WebConfig.Builder configure(WebConfig.Builder b) {
        return b.introspectionReasons(false).inlineEdDsa(true);
    }

    @Test
    void introspectWhenReasonsAreOffThenInactiveAnswerSaysNothingMore(VertxTestContext tc) throws Exception {
        String token = mint(SigningAlgorithm.EdDSA).compact();
        clock.advance(Duration.ofHours(1));
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token))
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.bodyAsJsonObject()).isEqualTo(new JsonObject().put("active", false));
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenEdDsaIsVerifiedInlineThenStillActive(VertxTestContext tc) throws Exception {
        String token = mint(SigningAlgorithm.EdDSA).compact();
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token))
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.bodyAsJsonObject().getBoolean("active")).isTrue();
                    tc.completeNow();
                })));
    }
}
