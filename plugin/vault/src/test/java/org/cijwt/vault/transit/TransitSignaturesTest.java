package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import org.cijwt.jose.SigningAlgorithm;
import org.junit.jupiter.api.Test;

/** Transit's {@code vault:vN:...} strings become raw JWS signatures, or a clear refusal. */
class TransitSignaturesTest {
    private static final byte[] SIXTY_FOUR = new byte[64];

    @Test
    void decodeWhenEd25519ThenStandardBase64OfSixtyFourBytes() {
        SIXTY_FOUR[0] = (byte) 0xfb;
        String text = "vault:v3:" + Base64.getEncoder().encodeToString(SIXTY_FOUR);

        assertThat(TransitSignatures.decode(text, 3, SigningAlgorithm.EdDSA)).isEqualTo(SIXTY_FOUR);
    }

    @Test
    void decodeWhenEs256WithJwsMarshalingThenBase64UrlOfRAndS() {
        SIXTY_FOUR[1] = (byte) 0xff;
        String text = "vault:v1:" + Base64.getUrlEncoder().withoutPadding().encodeToString(SIXTY_FOUR);

        assertThat(TransitSignatures.decode(text, 1, SigningAlgorithm.ES256)).isEqualTo(SIXTY_FOUR);
    }

    @Test
    void decodeWhenSignatureNamesAnotherVersionThenRefused() {
        String text = "vault:v2:" + Base64.getEncoder().encodeToString(SIXTY_FOUR);

        assertThatThrownBy(() -> TransitSignatures.decode(text, 3, SigningAlgorithm.EdDSA))
                .hasMessage("Vault returned a signature of v2 for version 3");
    }

    @Test
    void decodeWhenEs256IsAsn1ThenRefusedWithTheHint() {
        byte[] der = new byte[71];
        String text = "vault:v1:" + Base64.getUrlEncoder().encodeToString(der);

        assertThatThrownBy(() -> TransitSignatures.decode(text, 1, SigningAlgorithm.ES256))
                .hasMessageContaining("71 bytes, not 64 (an ASN.1 signature?)");
    }

    @Test
    void decodeWhenNotBase64ThenRefusedWithoutQuotingIt() {
        assertThatThrownBy(() -> TransitSignatures.decode("vault:v1:***secret***", 1, SigningAlgorithm.RS256))
                .hasMessageNotContaining("secret")
                .hasMessageContaining("not base64");
    }
}
