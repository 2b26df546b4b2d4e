package org.cijwt.jose;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import org.cijwt.keys.KeyEntry;
import org.junit.jupiter.api.Test;

/** Checks our Ed25519 signer against the worked example of RFC 8037, appendix A. */
class Ed25519JwsSignerTest {
    private static final OctetKeyPair RFC8037_KEY = new OctetKeyPair.Builder(Curve.Ed25519,
            new Base64URL("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"))
            .d(new Base64URL("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")).build();
    private static final byte[] SIGNING_INPUT =
            "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc".getBytes(StandardCharsets.US_ASCII);
    private static final String SIGNATURE =
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

    @Test
    void signWhenRfc8037ExampleThenSignatureMatchesTheRfc() throws Exception {
        Base64URL sig = new Ed25519JwsSigner(RFC8037_KEY).sign(new JWSHeader(JWSAlgorithm.EdDSA), SIGNING_INPUT);
        assertThat(sig.toString()).isEqualTo(SIGNATURE);
    }

    @Test
    void verifyWhenRfc8037ExampleThenAcceptedAndTamperedInputRejected() throws Exception {
        Ed25519JwsVerifier v = new Ed25519JwsVerifier(RFC8037_KEY.toPublicJWK());
        assertThat(v.verify(new JWSHeader(JWSAlgorithm.EdDSA), SIGNING_INPUT, new Base64URL(SIGNATURE))).isTrue();
        byte[] tampered = SIGNING_INPUT.clone();
        tampered[tampered.length - 1] ^= 1;
        assertThat(v.verify(new JWSHeader(JWSAlgorithm.EdDSA), tampered, new Base64URL(SIGNATURE))).isFalse();
    }

    @Test
    void verifyWhenHeaderHasCriticalParamsThenRejected() throws Exception {
        Ed25519JwsVerifier v = new Ed25519JwsVerifier(RFC8037_KEY.toPublicJWK());
        JWSHeader crit = new JWSHeader.Builder(JWSAlgorithm.EdDSA).criticalParams(java.util.Set.of("exp")).build();
        assertThat(v.verify(crit, SIGNING_INPUT, new Base64URL(SIGNATURE))).isFalse();
    }

    @Test
    void thumbprintWhenRfc8037KeyThenMatchesTheRfc() throws Exception {
        assertThat(KeyEntry.of(RFC8037_KEY.toPublicJWK(), null, "rfc").kid()).isEqualTo("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }
}
