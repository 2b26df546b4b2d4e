package org.cijwt.jose;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.cijwt.jose.provider.TestProviders;
import org.cijwt.keys.KeyEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Checks our Ed25519 signer, on both providers, against the worked example of RFC 8037, appendix A. */
class Ed25519JwsSignerTest {
    private static final OctetKeyPair RFC8037_KEY = new OctetKeyPair.Builder(Curve.Ed25519,
            new Base64URL("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"))
            .d(new Base64URL("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")).build();
    private static final byte[] SIGNING_INPUT =
            "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc".getBytes(StandardCharsets.US_ASCII);
    private static final String SIGNATURE =
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    /** The order L of the Ed25519 group (RFC 8032, section 5.1). */
    private static final BigInteger L = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
    private static final JWSHeader HEADER = new JWSHeader(JWSAlgorithm.EdDSA);

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void signWhenRfc8037ExampleThenSignatureMatchesTheRfc(String provider) throws Exception {
        Base64URL sig = new Ed25519JwsSigner(RFC8037_KEY, TestProviders.get(provider)).sign(HEADER, SIGNING_INPUT);
        assertThat(sig.toString()).isEqualTo(SIGNATURE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void verifyWhenRfc8037ExampleThenAcceptedAndTamperedInputRejected(String provider) throws Exception {
        Ed25519JwsVerifier v = new Ed25519JwsVerifier(RFC8037_KEY.toPublicJWK(), TestProviders.get(provider));
        assertThat(v.verify(HEADER, SIGNING_INPUT, new Base64URL(SIGNATURE))).isTrue();
        byte[] tampered = SIGNING_INPUT.clone();
        tampered[tampered.length - 1] ^= 1;
        assertThat(v.verify(HEADER, tampered, new Base64URL(SIGNATURE))).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void verifyWhenHeaderHasCriticalParamsThenRejected(String provider) throws Exception {
        Ed25519JwsVerifier v = new Ed25519JwsVerifier(RFC8037_KEY.toPublicJWK(), TestProviders.get(provider));
        JWSHeader crit = new JWSHeader.Builder(JWSAlgorithm.EdDSA).criticalParams(Set.of("exp")).build();
        assertThat(v.verify(crit, SIGNING_INPUT, new Base64URL(SIGNATURE))).isFalse();
    }

    /** Ed25519's own malleability: S and S + L satisfy the same equation, so S must be below L. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void verifyWhenScalarIsNotReducedThenRejected(String provider) throws Exception {
        Ed25519JwsVerifier v = new Ed25519JwsVerifier(RFC8037_KEY.toPublicJWK(), TestProviders.get(provider));
        byte[] sig = new Base64URL(SIGNATURE).decode();
        byte[] sLittleEndian = java.util.Arrays.copyOfRange(sig, 32, 64);
        BigInteger s = new BigInteger(1, reverse(sLittleEndian));
        byte[] plusL = reverse(toFixed(s.add(L), 32));
        System.arraycopy(plusL, 0, sig, 32, 32);
        assertThat(v.verify(HEADER, SIGNING_INPUT, Base64URL.encode(sig))).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void verifyWhenSignatureHasWrongLengthThenRejected(String provider) throws Exception {
        Ed25519JwsVerifier v = new Ed25519JwsVerifier(RFC8037_KEY.toPublicJWK(), TestProviders.get(provider));
        byte[] sig = new Base64URL(SIGNATURE).decode();
        assertThat(v.verify(HEADER, SIGNING_INPUT, Base64URL.encode(java.util.Arrays.copyOf(sig, 63)))).isFalse();
        assertThat(v.verify(HEADER, SIGNING_INPUT, Base64URL.encode(java.util.Arrays.copyOf(sig, 65)))).isFalse();
    }

    @Test
    void thumbprintWhenRfc8037KeyThenMatchesTheRfc() throws Exception {
        assertThat(KeyEntry.of(RFC8037_KEY.toPublicJWK(), null, "rfc").kid()).isEqualTo("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    private static byte[] reverse(byte[] b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[b.length - 1 - i];
        }
        return out;
    }

    private static byte[] toFixed(BigInteger v, int size) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[size];
        int copy = Math.min(raw.length, size);
        System.arraycopy(raw, raw.length - copy, out, size - copy, copy);
        return out;
    }
}
