package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What discovery advertises for a key ring, read from the bytes {@link PublishedDocuments} serves. */
class PublishedDocumentsTest {
    private static final String ISSUER = "http://127.0.0.1:8080";

    @TempDir
    Path dir;

    @Test
    void discoveryWhenVerificationKeysHaveOtherAlgorithmsThanTheSignerThenTheyAreListedToo() throws Exception {
        // serve signing ES256 itself and publishing workers' RS256 and EdDSA keys: a relying party that
        // checks the token's alg against discovery (go-oidc, and through it Fulcio and step-ca) must accept all three.
        KeyRing ring = KeySources.resolve(TestKeys.copyPrivate(TestKeys.P256, dir).toString(), KeySources.Options.defaults()
                .withVerificationKeys(List.of(TestKeys.copyPublic(TestKeys.RSA2048_PUBLIC, dir),
                        TestKeys.copyPublic(TestKeys.ED25519_PUBLIC, dir)))).load();

        JsonObject doc = new PublishedDocuments(() -> ring, ISSUER).current().discovery().toJsonObject();

        assertThat(doc.getJsonArray("id_token_signing_alg_values_supported").getList())
                .containsExactly("ES256", "RS256", "EdDSA");
    }

    @Test
    void discoveryWhenOnlyTheSignersKeysArePublishedThenOnlyTheirAlgorithmsAreListed() throws Exception {
        KeyRing ring = KeySources.resolve(TestKeys.copyPrivate(TestKeys.ED25519, dir).toString(), KeySources.Options.defaults()).load();

        JsonObject doc = new PublishedDocuments(() -> ring, ISSUER).current().discovery().toJsonObject();

        assertThat(doc.getJsonArray("id_token_signing_alg_values_supported").getList()).containsExactly("EdDSA");
    }
}
