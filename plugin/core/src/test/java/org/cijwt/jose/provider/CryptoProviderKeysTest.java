package org.cijwt.jose.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.ECKey;
import java.math.BigInteger;
import java.security.InvalidKeyException;
import org.cijwt.jose.SigningAlgorithm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Both providers refuse the same bad keys when a signer or verifier is made, not when it is first used. */
class CryptoProviderKeysTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void p256VerifierWhenPointIsNotOnTheCurveThenRefused(String provider) throws Exception {
        CryptoProvider p = TestProviders.get(provider);
        ECKey key = (ECKey) TestProviders.privateKey(SigningAlgorithm.ES256);
        BigInteger x = key.getX().decodeToBigInteger();
        BigInteger y = key.getY().decodeToBigInteger();
        assertThat(p.p256Verifier(x, y)).isNotNull();
        assertThatThrownBy(() -> p.p256Verifier(x, y.flipBit(0)))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("not a point on the curve");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void p256SignerWhenPrivateKeyIsZeroOrNotBelowTheOrderThenRefused(String provider) {
        CryptoProvider p = TestProviders.get(provider);
        for (BigInteger d : new BigInteger[] {BigInteger.ZERO, P256.N, P256.N.add(BigInteger.ONE), BigInteger.ONE.negate()}) {
            assertThatThrownBy(() -> p.p256Signer(d)).as("d = %s", d).isInstanceOf(InvalidKeyException.class);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void ed25519WhenKeyIsNotThirtyTwoBytesThenRefused(String provider) {
        CryptoProvider p = TestProviders.get(provider);
        assertThatThrownBy(() -> p.ed25519Signer(new byte[31])).isInstanceOf(InvalidKeyException.class).hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> p.ed25519Verifier(new byte[33])).isInstanceOf(InvalidKeyException.class).hasMessageContaining("32 bytes");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void rawVerifierWhenSignatureIsNullOrEmptyThenFalseNotAnException(String provider) throws Exception {
        CryptoProvider p = TestProviders.get(provider);
        ECKey key = (ECKey) TestProviders.privateKey(SigningAlgorithm.ES256);
        RawVerifier v = p.p256Verifier(key.getX().decodeToBigInteger(), key.getY().decodeToBigInteger());
        assertThat(v.verify(new byte[] {1}, new byte[0])).isFalse();
        assertThat(v.verify(new byte[] {1}, null)).isFalse();
    }
}
