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
import org.cijwt.fixtures.TestKeys;
import org.junit.jupiter.api.Test;

/** Our Bouncy Castle ES256 pair against Nimbus's JDK-provider ES256 pair, in both directions, on the committed TEST key. */
class P256JwsInteropTest {
    private static final JWSHeader HEADER = new JWSHeader(JWSAlgorithm.ES256);
    private static final byte[] INPUT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtYWluL2RlcGxveSJ9".getBytes(StandardCharsets.US_ASCII);

    @Test
    void signWhenOursThenTheJdkVerifierAccepts() throws Exception {
        ECKey key = (ECKey) TestKeys.privateJwk(TestKeys.Alg.ES256);
        for (int i = 0; i < 20; i++) {
            byte[] input = (new String(INPUT, StandardCharsets.US_ASCII) + i).getBytes(StandardCharsets.US_ASCII);
            Base64URL sig = new P256JwsSigner(key).sign(HEADER, input);
            assertThat(sig.decode()).hasSize(64);
            assertThat(new ECDSAVerifier(key.toPublicJWK()).verify(HEADER, input, sig)).isTrue();
        }
    }

    @Test
    void signWhenJdkThenOurVerifierAcceptsAndRejectsTampering() throws Exception {
        ECKey key = (ECKey) TestKeys.privateJwk(TestKeys.Alg.ES256);
        Base64URL sig = new ECDSASigner(key).sign(HEADER, INPUT);
        P256JwsVerifier ours = new P256JwsVerifier(key.toPublicJWK());
        assertThat(ours.verify(HEADER, INPUT, sig)).isTrue();
        byte[] bad = sig.decode();
        bad[5] ^= 1;
        assertThat(ours.verify(HEADER, INPUT, Base64URL.encode(bad))).isFalse();
        assertThat(ours.verify(HEADER, INPUT, Base64URL.encode(new byte[64]))).as("r = s = 0").isFalse();
    }

    @Test
    void signWhenSameInputThenDeterministicPerRfc6979() throws Exception {
        ECKey key = (ECKey) TestKeys.privateJwk(TestKeys.Alg.ES256);
        P256JwsSigner s = new P256JwsSigner(key);
        assertThat(s.sign(HEADER, INPUT)).isEqualTo(s.sign(HEADER, INPUT));
    }

    @Test
    void loadWhenPublicPointIsNotOnTheCurveThenRefused() throws Exception {
        ECKey key = (ECKey) TestKeys.privateJwk(TestKeys.Alg.ES256);
        byte[] y = key.getY().decode();
        y[31] ^= 1;
        String jwks = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"bad\",\"x\":\"" + key.getX()
                + "\",\"y\":\"" + Base64URL.encode(y) + "\"}]}";
        // Nimbus refuses the point when the JWKS is parsed; our verifier checks again behind it.
        assertThatThrownBy(() -> org.cijwt.keys.VerificationKeySource.fromJwks(jwks, "pinned.json"))
                .hasMessageContaining("pinned.json is not a valid JWKS document");
    }
}
