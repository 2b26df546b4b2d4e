package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.cijwt.claims.ClaimNames;
import org.junit.jupiter.api.Test;

class PublicDocumentsEndpointTest extends ServerTestBase {

    @Test
    void discoveryWhenRequestedThenUrlsAreBuiltFromTheIssuer(VertxTestContext tc) {
        client.get(port(), "127.0.0.1", Endpoints.DISCOVERY).send().onComplete(tc.succeeding(res -> tc.verify(() -> {
            assertThat(res.statusCode()).isEqualTo(200);
            JsonObject doc = res.bodyAsJsonObject();
            assertThat(doc.getString("issuer")).isEqualTo(ISSUER);
            assertThat(doc.getString("jwks_uri")).isEqualTo(ISSUER + "/.well-known/jwks.json");
            assertThat(doc.getString("introspection_endpoint")).isEqualTo(ISSUER + "/api/v1/tokens/introspect");
            assertThat(doc.getJsonArray("id_token_signing_alg_values_supported").getList())
                    .containsExactlyInAnyOrder("EdDSA", "ES256", "RS256");
            assertThat(doc.getJsonArray("response_types_supported")).isEqualTo(new JsonArray().add("id_token"));
            assertThat(doc.getJsonArray("subject_types_supported")).isEqualTo(new JsonArray().add("public"));
            assertThat(doc.getJsonArray("scopes_supported")).isEqualTo(new JsonArray().add("openid"));
            assertThat(doc.getJsonArray("claims_supported").getList()).containsExactlyElementsOf(ClaimNames.ALL);
            tc.completeNow();
        })));
    }

    @Test
    void jwksWhenRequestedThenPublicKeysOnlyWithCachingHeaders(VertxTestContext tc) {
        client.get(port(), "127.0.0.1", Endpoints.JWKS).send().onComplete(tc.succeeding(res -> tc.verify(() -> {
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.getHeader("ETag")).isEqualTo(PublishedDocuments.etagOf(keys.get().publicJwksJson())).startsWith("\"");
            assertThat(res.getHeader("Cache-Control")).isEqualTo("public, max-age=300");
            assertThat(res.bodyAsString()).isEqualTo(keys.get().publicJwksJson());
            JsonArray keyList = res.bodyAsJsonObject().getJsonArray("keys");
            assertThat(keyList).hasSize(3);
            for (int i = 0; i < keyList.size(); i++) {
                JsonObject k = keyList.getJsonObject(i);
                assertThat(k.getString("use")).isEqualTo("sig");
                assertThat(k.getString("kid")).isNotBlank();
                assertThat(k.getString("alg")).isIn("EdDSA", "ES256", "RS256");
                // No private member of any key type (d for EC/OKP; p, q, dp, dq, qi for RSA).
                assertThat(k.fieldNames()).doesNotContain("d", "p", "q", "dp", "dq", "qi");
            }
            tc.completeNow();
        })));
    }

    @Test
    void jwksWhenIfNoneMatchEqualsTheEtagThenNotModifiedWithoutBody(VertxTestContext tc) {
        client.get(port(), "127.0.0.1", Endpoints.JWKS).putHeader("If-None-Match", "\"other\", " + PublishedDocuments.etagOf(keys.get().publicJwksJson())).send()
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(304);
                    assertThat(res.getHeader("ETag")).isEqualTo(PublishedDocuments.etagOf(keys.get().publicJwksJson()));
                    assertThat(res.getHeader("Cache-Control")).isEqualTo("public, max-age=300");
                    assertThat(res.body()).isNull();
                    tc.completeNow();
                })));
    }

    @Test
    void jwksWhenIfNoneMatchIsStaleThenFullAnswer(VertxTestContext tc) {
        client.get(port(), "127.0.0.1", Endpoints.JWKS).putHeader("If-None-Match", "\"stale\"").send()
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(200);
                    assertThat(res.bodyAsString()).isEqualTo(keys.get().publicJwksJson());
                    tc.completeNow();
                })));
    }

    @Test
    void jwksWhenMethodIsPostThenMethodNotAllowed(VertxTestContext tc) {
        client.post(port(), "127.0.0.1", Endpoints.JWKS).send().onComplete(tc.succeeding(res -> tc.verify(() -> {
            assertThat(res.statusCode()).isEqualTo(405);
            tc.completeNow();
        })));
    }

    @Test
    void ifNoneMatchWhenWeakOrWildcardThenMatches() {
        assertThat(JwksHandler.matches("W/\"abc\"", "\"abc\"")).isTrue();
        assertThat(JwksHandler.matches("*", "\"abc\"")).isTrue();
        assertThat(JwksHandler.matches("\"abd\"", "\"abc\"")).isFalse();
        assertThat(JwksHandler.matches(null, "\"abc\"")).isFalse();
    }
}
