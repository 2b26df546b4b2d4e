package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.cijwt.errors.CiJwtException;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.MintedToken;
import org.junit.jupiter.api.Test;

/** Keys changed on disk show up in the JWKS and in introspection without a restart. */
class KeyReloadTest extends ServerTestBase {
    /**
     * A public JWKS whose Ed25519 key is the identity point, of order 1: any "signature" with
     * R = identity, S = 0 would check against it (plugin's MalformedKeys has the other small orders).
     */
    static final String SMALL_ORDER_JWKS = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"evil\","
            + "\"x\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}";

    private Path published;

    /** The server publishes a public JWKS file; the test swaps its content. */
    @Override
    KeySource keySource() throws CiJwtException {
        published = dir.resolve("published.jwks");
        TestKeys.write(published, ring(TestKeys.ED25519).publicJwksJson(), "rw-r--r--");
        return new VerificationKeySource(published);
    }

    private KeyRing ring(String privatePem) throws CiJwtException {
        return KeySources.resolve(TestKeys.copyPrivate(privatePem, dir).toString(), KeySources.Options.defaults()).load();
    }

    @Test
    void jwksWhenKeyFileChangesAndRefreshRunsThenNewKeysAndNewEtag(VertxTestContext tc) throws Exception {
        KeyRing before = ring(TestKeys.ED25519);
        KeyRing after = ring(TestKeys.P256);
        MintedToken oldToken = mint(before, clock, ISSUER, AUDIENCE, SigningAlgorithm.EdDSA);
        MintedToken newToken = mint(after, clock, ISSUER, AUDIENCE, SigningAlgorithm.ES256);
        String oldEtag = PublishedDocuments.etagOf(keys.get().publicJwksJson());

        Files.writeString(published, after.publicJwksJson());
        Files.setLastModifiedTime(published, FileTime.from(Files.getLastModifiedTime(published).toInstant().plus(Duration.ofSeconds(10))));
        assertThat(keys.refresh()).isTrue();

        client.get(port(), "127.0.0.1", Endpoints.JWKS).send()
                .compose(res -> {
                    tc.verify(() -> {
                        assertThat(res.getHeader("ETag")).isNotEqualTo(oldEtag).isEqualTo(PublishedDocuments.etagOf(after.publicJwksJson()));
                        assertThat(res.bodyAsString()).isEqualTo(after.publicJwksJson());
                    });
                    return client.get(port(), "127.0.0.1", Endpoints.JWKS).putHeader("If-None-Match", oldEtag).send();
                })
                .compose(res -> {
                    tc.verify(() -> assertThat(res.statusCode()).isEqualTo(200));
                    return introspect(newToken.compact());
                })
                .compose(answer -> {
                    tc.verify(() -> assertThat(answer.getBoolean("active")).isTrue());
                    return introspect(oldToken.compact());
                })
                .compose(answer -> {
                    tc.verify(() -> assertThat(answer).isEqualTo(new JsonObject().put("active", false).put("reason", "unknown_kid")));
                    return client.get(port(), "127.0.0.1", Endpoints.DISCOVERY).send();
                })
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.bodyAsJsonObject().getJsonArray("id_token_signing_alg_values_supported").getList())
                            .containsExactly("ES256");
                    tc.completeNow();
                })));
    }

    @Test
    void jwksWhenKeyFileBreaksThenLastGoodKeysStayPublished(VertxTestContext tc) throws Exception {
        String etag = PublishedDocuments.etagOf(keys.get().publicJwksJson());
        Files.writeString(published, "{\"keys\": [ broken");
        Files.setLastModifiedTime(published, FileTime.from(Files.getLastModifiedTime(published).toInstant().plus(Duration.ofSeconds(10))));
        assertThat(keys.refresh()).isFalse();
        client.get(port(), "127.0.0.1", Endpoints.JWKS).send()
                .compose(res -> {
                    tc.verify(() -> assertThat(res.getHeader("ETag")).isEqualTo(etag));
                    return client.get(port(), "127.0.0.1", Endpoints.READYZ).send();
                })
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(200);
                    assertThat(res.bodyAsJsonObject().getString("last_reload_error")).contains("published.jwks");
                    assertThat(res.bodyAsJsonObject().getString("status")).isEqualTo("degraded");
                    tc.completeNow();
                })));
    }

    @Test
    void jwksWhenVerificationFileIsDeletedThenItsKeyIsGoneAndItsTokensAreInactive(VertxTestContext tc) throws Exception {
        MintedToken token = mint(ring(TestKeys.ED25519), clock, ISSUER, AUDIENCE, SigningAlgorithm.EdDSA);
        Files.delete(published);
        assertThat(keys.refresh()).isTrue();
        expectRevoked(tc, token);
    }

    @Test
    void jwksWhenVerificationFileIsTruncatedThenItsKeyIsGoneAndItsTokensAreInactive(VertxTestContext tc) throws Exception {
        MintedToken token = mint(ring(TestKeys.ED25519), clock, ISSUER, AUDIENCE, SigningAlgorithm.EdDSA);
        try (var out = Files.newOutputStream(published, StandardOpenOption.TRUNCATE_EXISTING)) {
            out.flush();
        }
        Files.setLastModifiedTime(published, FileTime.from(Files.getLastModifiedTime(published).toInstant().plus(Duration.ofSeconds(10))));
        assertThat(keys.refresh()).isTrue();
        expectRevoked(tc, token);
    }

    /** The token's key is out of the JWKS, the token is inactive, and with no key left the server is not ready. */
    private void expectRevoked(VertxTestContext tc, MintedToken token) {
        introspect(token.compact())
                .compose(answer -> {
                    tc.verify(() -> assertThat(answer).isEqualTo(new JsonObject().put("active", false).put("reason", "unknown_kid")));
                    return client.get(port(), "127.0.0.1", Endpoints.JWKS).send();
                })
                .compose(res -> {
                    tc.verify(() -> assertThat(res.bodyAsJsonObject().getJsonArray("keys")).isEmpty());
                    return client.get(port(), "127.0.0.1", Endpoints.READYZ).send();
                })
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(503);
                    assertThat(res.bodyAsJsonObject().getString("status")).isEqualTo("no_keys");
                    assertThat(res.bodyAsJsonObject().containsKey("last_reload_error")).isFalse();
                    tc.completeNow();
                })));
    }

    @Test
    void readyzWhenTheVerificationKeyBecomesASmallOrderPointThenDegradedNamingTheCodeAndFile(VertxTestContext tc) throws Exception {
        MintedToken token = mint(ring(TestKeys.ED25519), clock, ISSUER, AUDIENCE, SigningAlgorithm.EdDSA);
        Files.writeString(published, SMALL_ORDER_JWKS);
        Files.setLastModifiedTime(published, FileTime.from(Files.getLastModifiedTime(published).toInstant().plus(Duration.ofSeconds(10))));
        assertThat(keys.refresh()).isFalse();
        client.get(port(), "127.0.0.1", Endpoints.READYZ).send()
                .compose(res -> {
                    tc.verify(() -> {
                        assertThat(res.statusCode()).isEqualTo(200);
                        assertThat(res.bodyAsJsonObject().getString("status")).isEqualTo("degraded");
                        assertThat(res.bodyAsJsonObject().getString("last_reload_error")).startsWith("CJ206").contains(published.toString());
                    });
                    return introspect(token.compact());
                })
                .onComplete(tc.succeeding(answer -> tc.verify(() -> {
                    assertThat(answer.getBoolean("active")).as("the last good key stays").isTrue();
                    tc.completeNow();
                })));
    }

    private io.vertx.core.Future<JsonObject> introspect(String token) {
        return client.post(port(), "127.0.0.1", Endpoints.INTROSPECT)
                .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token))
                .map(IntrospectionEndpointTest::okJson);
    }
}
