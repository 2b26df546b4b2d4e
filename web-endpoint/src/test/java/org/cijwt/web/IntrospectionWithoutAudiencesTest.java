package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import org.cijwt.jose.SigningAlgorithm;
import org.junit.jupiter.api.Test;

/** A server with no {@code audiences} setting: every request must say which audience it expects. */
class IntrospectionWithoutAudiencesTest extends ServerTestBase {

    @Override
    WebConfig.Builder configure(WebConfig.Builder b) {
        return b.audiences(List.of());
    }

    @Test
    void introspectWhenNeitherServerNorRequestNamesAnAudienceThenBadRequestNamingBoth(VertxTestContext tc) throws Exception {
        // It used to answer active for a token minted for any relying party at all.
        String token = mint(SigningAlgorithm.EdDSA).compact();
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token))
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(400);
                    assertThat(res.getHeader("Content-Type")).startsWith("application/json");
                    JsonObject body = res.bodyAsJsonObject();
                    assertThat(body.getString("error")).isEqualTo("invalid_request");
                    assertThat(body.getString("error_description")).contains("'audience' parameter").contains("'audiences'");
                    assertThat(body.containsKey("active")).isFalse();
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenJsonBodyHasNoOrAnEmptyAudienceThenBadRequest(VertxTestContext tc) throws Exception {
        String token = mint(SigningAlgorithm.ES256).compact();
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).sendJsonObject(new JsonObject().put("token", token))
                .compose(res -> {
                    tc.verify(() -> assertThat(res.statusCode()).isEqualTo(400));
                    return client.post(port(), "127.0.0.1", Endpoints.INTROSPECT)
                            .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token).add("audience", ""));
                })
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(400);
                    assertThat(res.bodyAsJsonObject().getString("error")).isEqualTo("invalid_request");
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenTheRequestNamesTheAudienceThenItIsChecked(VertxTestContext tc) throws Exception {
        String token = mint(SigningAlgorithm.EdDSA).compact();
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT)
                .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token).add("audience", AUDIENCE))
                .compose(res -> {
                    tc.verify(() -> assertThat(IntrospectionEndpointTest.okJson(res).getBoolean("active")).isTrue());
                    return client.post(port(), "127.0.0.1", Endpoints.INTROSPECT)
                            .sendJsonObject(new JsonObject().put("token", token).put("audience", "sts.amazonaws.com"));
                })
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(IntrospectionEndpointTest.okJson(res))
                            .isEqualTo(new JsonObject().put("active", false).put("reason", "wrong_audience"));
                    tc.completeNow();
                })));
    }
}
