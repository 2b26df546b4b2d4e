package org.cijwt.jose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import org.cijwt.jose.provider.CryptoProviders;
import org.cijwt.jose.provider.TestProviders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Our ES256 pair, on both providers, against Nimbus's JDK-provider ES256 pair, in both directions. */
class P256JwsInteropTest {
    private static final JWSHeader HEADER = new JWSHeader(JWSAlgorithm.ES256);
    private static final byte[] INPUT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtYWluL2RlcGxveSJ9".getBytes(StandardCharsets.US_ASCII);

    private static ECKey key() throws Exception {
        return (ECKey) TestProviders.privateKey(SigningAlgorithm.ES256);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void signWhenOursThenTheJdkVerifierAccepts(String provider) throws Exception {
        ECKey key = key();
        P256JwsSigner signer = new P256JwsSigner(key, TestProviders.get(provider));
        for (int i = 0; i < 20; i++) {
            byte[] input = (new String(INPUT, StandardCharsets.US_ASCII) + i).getBytes(StandardCharsets.US_ASCII);
            Base64URL sig = signer.sign(HEADER, input);
            assertThat(sig.decode()).hasSize(64);
            assertThat(new ECDSAVerifier(key.toPublicJWK()).verify(HEADER, input, sig)).isTrue();
        }
    }

    /**
     * The JDK signs with random nonces and leaves half its signatures high-S; ours accepts a
     * JDK signature in its low-S form (the high-S form is refused: see {@link EcdsaLowSTest}).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void signWhenJdkThenOurVerifierAcceptsItsLowSFormAndRejectsTampering(String provider) throws Exception {
        ECKey key = key();
        P256JwsVerifier ours = new P256JwsVerifier(key.toPublicJWK(), TestProviders.get(provider));
        Base64URL sig = Base64URL.encode(EcdsaLowSTest.lowS(new ECDSASigner(key).sign(HEADER, INPUT).decode()));
        assertThat(ours.verify(HEADER, INPUT, sig)).isTrue();
        byte[] bad = sig.decode();
        bad[5] ^= 1;
        assertThat(ours.verify(HEADER, INPUT, Base64URL.encode(bad))).isFalse();
        assertThat(ours.verify(HEADER, INPUT, Base64URL.encode(new byte[64]))).as("r = s = 0").isFalse();
    }

    /** Bouncy Castle's nonces follow RFC 6979; AWS-LC's are random, hedged with the key and digest. */
    @Test
    void signWhenSameInputThenDeterministicPerRfc6979() throws Exception {
        P256JwsSigner s = new P256JwsSigner(key(), CryptoProviders.bouncyCastle());
        assertThat(s.sign(HEADER, INPUT)).isEqualTo(s.sign(HEADER, INPUT));
    }

    @Test
    void loadWhenPublicPointIsNotOnTheCurveThenRefused() throws Exception {
        ECKey key = key();
        byte[] y = key.getY().decode();
        y[31] ^= 1;
        String jwks = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"bad\",\"x\":\"" + key.getX()
                + "\",\"y\":\"" + Base64URL.encode(y) + "\"}]}";
        // Nimbus refuses the point when the JWKS is parsed; our providers check again behind it
        // (CryptoProviderKeysTest).
        assertThatThrownBy(() -> org.cijwt.keys.VerificationKeySource.fromJwks(jwks, "pinned.json"))
                .hasMessageContaining("pinned.json is not a valid JWKS document");
    }
}
