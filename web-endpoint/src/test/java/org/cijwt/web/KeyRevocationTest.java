package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cijwt.errors.CiJwtException;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.KeySources;
import org.cijwt.tokens.MintedToken;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code serve --keys signing.pem --verify-keys pinned.jwks}: deleting or emptying the pinned file
 * revokes its key at the next reload, while a signing file that goes missing keeps the last good
 * signer and shows as degraded in {@code /readyz} and {@code /metrics}.
 */
class KeyRevocationTest extends ServerTestBase {
    private Path signing;
    private Path pinned;
    private KeyRing pinnedIssuer;

    @Override
    KeySource keySource() throws CiJwtException {
        signing = TestKeys.copyPrivate(TestKeys.P256, dir);
        pinnedIssuer = KeySources.resolve(TestKeys.copyPrivate(TestKeys.ED25519, dir.resolve("other-issuer")).toString(),
                KeySources.Options.defaults()).load();
        pinned = TestKeys.write(dir.resolve("pinned.jwks"), pinnedIssuer.publicJwksJson(), "rw-r--r--");
        return KeySources.resolve(signing.toString(), KeySources.Options.defaults().withVerificationKeys(List.of(pinned)));
    }

    private MintedToken signed;
    private MintedToken pinnedToken;
    private String signingKid;
    private String pinnedKid;

    @BeforeEach
    void mintOneTokenPerKey() throws CiJwtException {
        signed = mint(SigningAlgorithm.ES256);
        pinnedToken = mint(pinnedIssuer, clock, ISSUER, AUDIENCE, SigningAlgorithm.EdDSA);
        signingKid = signed.kid();
        pinnedKid = pinnedToken.kid();
    }

    @Test
    void verificationKeyWhenItsFileIsDeletedThenItsTokensAreInactiveAtTheNextReloadAndTheServerStaysReady(VertxTestContext tc)
            throws Exception {
        Files.delete(pinned);
        assertThat(keys.refresh()).isTrue();
        expectPinnedKeyRevoked(tc);
    }

    @Test
    void verificationKeyWhenItsFileIsEmptiedThenItsTokensAreInactiveAtTheNextReload(VertxTestContext tc) throws Exception {
        Files.write(pinned, new byte[0]);
        assertThat(keys.refresh()).isTrue();
        expectPinnedKeyRevoked(tc);
    }

    private void expectPinnedKeyRevoked(VertxTestContext tc) {
        introspect(pinnedToken.compact())
                .compose(answer -> {
                    tc.verify(() -> assertThat(answer).isEqualTo(new JsonObject().put("active", false).put("reason", "unknown_kid")));
                    return introspect(signed.compact());
                })
                .compose(answer -> {
                    tc.verify(() -> assertThat(answer.getBoolean("active")).isTrue());
                    return client.get(port(), "127.0.0.1", Endpoints.JWKS).send();
                })
                .compose(res -> {
                    tc.verify(() -> assertThat(res.bodyAsString()).contains(signingKid).doesNotContain(pinnedKid));
                    return client.get(port(), "127.0.0.1", Endpoints.READYZ).send();
                })
                .compose(res -> {
                    tc.verify(() -> {
                        assertThat(res.statusCode()).isEqualTo(200);
                        assertThat(res.bodyAsJsonObject().getString("status")).isEqualTo("ready");
                        assertThat(res.bodyAsJsonObject().containsKey("last_reload_error")).isFalse();
                    });
                    return client.get(port(), "127.0.0.1", Endpoints.METRICS).send();
                })
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.bodyAsString()).contains("cijwt_keys_degraded 0.0").contains("cijwt_keys_published 1.0");
                    tc.completeNow();
                })));
    }

    @Test
    void signingKeyWhenItsFileGoesMissingThenTheLastGoodKeySignsAndReadyzAndMetricsSayDegraded(VertxTestContext tc)
            throws Exception {
        Files.delete(signing);
        assertThat(keys.refresh()).isFalse();
        MintedToken later = mint(SigningAlgorithm.ES256);
        assertThat(later.kid()).isEqualTo(signingKid);
        introspect(later.compact())
                .compose(answer -> {
                    tc.verify(() -> assertThat(answer.getBoolean("active")).isTrue());
                    return client.get(port(), "127.0.0.1", Endpoints.READYZ).send();
                })
                .compose(res -> {
                    tc.verify(() -> {
                        assertThat(res.statusCode()).as("still serving the last good keys").isEqualTo(200);
                        JsonObject body = res.bodyAsJsonObject();
                        assertThat(body.getString("status")).isEqualTo("degraded");
                        assertThat(body.getString("last_reload_error")).startsWith("CJ201").contains(signing.toString());
                        assertThat(body.getJsonArray("reload_errors").getList()).hasSize(1);
                        assertThat(body.getJsonArray("signing_algorithms").getList()).containsExactly("ES256");
                    });
                    return client.get(port(), "127.0.0.1", Endpoints.METRICS).send();
                })
                .compose(res -> {
                    tc.verify(() -> assertThat(res.bodyAsString())
                            .contains("cijwt_keys_degraded 1.0")
                            .contains("cijwt_keys_reload_failures_total 1.0"));
                    TestKeys.copyPrivate(TestKeys.P256, dir);
                    keys.refresh();
                    return client.get(port(), "127.0.0.1", Endpoints.READYZ).send();
                })
                .compose(res -> {
                    tc.verify(() -> {
                        assertThat(res.bodyAsJsonObject().getString("status")).isEqualTo("ready");
                        assertThat(res.bodyAsJsonObject().containsKey("last_reload_error")).isFalse();
                    });
                    return client.get(port(), "127.0.0.1", Endpoints.METRICS).send();
                })
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.bodyAsString()).contains("cijwt_keys_degraded 0.0");
                    tc.completeNow();
                })));
    }

    @Test
    void signingKeyBrokenWhileTheVerificationFileIsDeletedThenOnlyTheVerificationKeyIsRevoked(VertxTestContext tc)
            throws Exception {
        TestKeys.write(signing, "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n", "rw-------");
        Files.delete(pinned);
        keys.refresh();
        introspect(pinnedToken.compact())
                .compose(answer -> {
                    tc.verify(() -> assertThat(answer.getString("reason")).isEqualTo("unknown_kid"));
                    return introspect(signed.compact());
                })
                .compose(answer -> {
                    tc.verify(() -> assertThat(answer.getBoolean("active")).isTrue());
                    return client.get(port(), "127.0.0.1", Endpoints.READYZ).send();
                })
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.bodyAsJsonObject().getString("status")).isEqualTo("degraded");
                    assertThat(res.bodyAsJsonObject().getString("last_reload_error")).contains(signing.toString())
                            .doesNotContain(pinned.toString());
                    tc.completeNow();
                })));
    }

    private Future<JsonObject> introspect(String token) {
        return client.post(port(), "127.0.0.1", Endpoints.INTROSPECT)
                .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token))
                .map(IntrospectionEndpointTest::okJson);
    }
}
