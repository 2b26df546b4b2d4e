package org.cijwt.jose;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.provider.TestProviders;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.PemKeySource;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.Rejection;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ES256 signatures are low-S on both providers, and a high-S signature, valid ECDSA for the same
 * message, is refused: one token, one valid signature (security review, issue 9 L1).
 */
class EcdsaLowSTest {
    static final BigInteger N = CustomNamedCurves.getByName("P-256").getN();
    static final BigInteger HALF_N = N.shiftRight(1);
    private static final JWSHeader HEADER = new JWSHeader(JWSAlgorithm.ES256);
    private static final byte[] INPUT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtYWluL2RlcGxveSJ9".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private static ECKey key() throws Exception {
        return (ECKey) TestProviders.privateKey(SigningAlgorithm.ES256);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void signWhenManySignaturesThenEveryOneIsLowSAndInRange(String provider) throws Exception {
        P256JwsSigner signer = new P256JwsSigner(key(), TestProviders.get(provider));
        for (int i = 0; i < 2_000; i++) {
            byte[] sig = signer.sign(HEADER, (i + "." + new String(INPUT, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII))
                    .decode();
            assertThat(sig).hasSize(64);
            BigInteger r = r(sig);
            BigInteger s = s(sig);
            assertThat(r).as("r of signature %d", i).isPositive().isLessThan(N);
            assertThat(s).as("s of signature %d", i).isPositive().isLessThanOrEqualTo(HALF_N);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void verifyWhenHighSTwinOfValidSignatureThenRejectedThoughTheJdkAcceptsIt(String provider) throws Exception {
        ECKey key = key();
        byte[] sig = new P256JwsSigner(key, TestProviders.get(provider)).sign(HEADER, INPUT).decode();
        byte[] twin = highS(sig);
        // The twin is a valid ECDSA signature: the JDK accepts it, so only our rule refuses it.
        assertThat(new ECDSAVerifier(key.toPublicJWK()).verify(HEADER, INPUT, Base64URL.encode(twin))).isTrue();
        P256JwsVerifier ours = new P256JwsVerifier(key.toPublicJWK(), TestProviders.get(provider));
        assertThat(ours.verify(HEADER, INPUT, Base64URL.encode(sig))).isTrue();
        assertThat(ours.verify(HEADER, INPUT, Base64URL.encode(twin))).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#names")
    void verifyWhenROrSIsZeroOrNotBelowTheOrderThenRejected(String provider) throws Exception {
        ECKey key = key();
        byte[] sig = new P256JwsSigner(key, TestProviders.get(provider)).sign(HEADER, INPUT).decode();
        P256JwsVerifier ours = new P256JwsVerifier(key.toPublicJWK(), TestProviders.get(provider));
        BigInteger max = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
        for (BigInteger bad : List.of(BigInteger.ZERO, N, N.add(BigInteger.ONE), max)) {
            assertThat(ours.verify(HEADER, INPUT, Base64URL.encode(with(sig, bad, s(sig))))).as("r = %s", bad).isFalse();
            assertThat(ours.verify(HEADER, INPUT, Base64URL.encode(with(sig, r(sig), bad)))).as("s = %s", bad).isFalse();
        }
        // r + n still fits in 32 bytes and is r modulo n: a lax range check would accept it.
        BigInteger rPlusN = r(sig).add(N);
        if (rPlusN.bitLength() <= 256) {
            assertThat(ours.verify(HEADER, INPUT, Base64URL.encode(with(sig, rPlusN, s(sig))))).as("r + n").isFalse();
        }
        assertThat(ours.verify(HEADER, INPUT, Base64URL.encode(Arrays.copyOf(sig, 63)))).as("63 bytes").isFalse();
        assertThat(ours.verify(HEADER, INPUT, Base64URL.encode(Arrays.copyOf(sig, 65)))).as("65 bytes").isFalse();
    }

    /** The whole token: its high-S twin is a different string with the same claims, and it is refused. */
    @Test
    void verifyWhenTokenSignatureMadeHighSThenTheVerifierRejectsIt() throws Exception {
        KeyRing ring = PemKeySource.file(TestKeys.copyPrivate(TestKeys.P256, dir)).load();
        KeyRing published = VerificationKeySource.fromJwks(ring.publicJwksJson(), "jwks");
        ClaimsPolicy policy = ClaimsPolicy.builder().issuer("https://ci.example.com").audience("vault")
                .algorithm(SigningAlgorithm.ES256).ttl(Duration.ofMinutes(10)).build();
        String token = new TokenMinter(() -> ring, Clock.systemUTC())
                .mint(BuildMetadata.fromJson(TestKeys.metadata("main"), "main"), policy).compact();
        TokenVerifier verifier = new TokenVerifier(() -> published, "https://ci.example.com", List.of("vault"),
                TokenVerifier.DEFAULT_LEEWAY, Clock.systemUTC());
        assertThat(verifier.verify(token).active()).isTrue();

        int dot = token.lastIndexOf('.');
        String twin = token.substring(0, dot + 1) + Base64URL.encode(highS(new Base64URL(token.substring(dot + 1)).decode()));
        Verification v = verifier.verify(twin);
        assertThat(v).isInstanceOf(Verification.Rejected.class);
        assertThat(((Verification.Rejected) v).reason()).isEqualTo(Rejection.BAD_SIGNATURE);
    }

    /** {@code (r, s)} with {@code s} replaced by {@code n - s} when low: the other valid signature. */
    static byte[] highS(byte[] sig) {
        BigInteger s = s(sig);
        assertThat(s).isLessThanOrEqualTo(HALF_N);
        return with(sig, r(sig), N.subtract(s));
    }

    static byte[] lowS(byte[] sig) {
        BigInteger s = s(sig);
        return s.compareTo(HALF_N) > 0 ? with(sig, r(sig), N.subtract(s)) : sig;
    }

    static BigInteger r(byte[] sig) {
        return new BigInteger(1, Arrays.copyOfRange(sig, 0, 32));
    }

    static BigInteger s(byte[] sig) {
        return new BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
    }

    static byte[] with(byte[] sig, BigInteger r, BigInteger s) {
        byte[] out = new byte[64];
        put(r, out, 0);
        put(s, out, 32);
        return out;
    }

    private static void put(BigInteger v, byte[] out, int offset) {
        byte[] raw = v.toByteArray();
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, out, offset + 32 - copy, copy);
    }
}
