package org.cijwt.jose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.jose.provider.CryptoProviders;
import org.cijwt.jose.provider.TestProviders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Every algorithm on both providers: each verifies the other's signatures, and an independent verifier does too. */
class JwsProvidersTest {
    private static final byte[] INPUT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJtYWluL2RlcGxveSJ9".getBytes(StandardCharsets.US_ASCII);

    private static JWSHeader header(SigningAlgorithm alg) {
        return new JWSHeader(alg.jws());
    }

    private static String other(String provider) {
        return CryptoProvider.ACCP.equals(provider) ? CryptoProvider.BOUNCY_CASTLE : CryptoProvider.ACCP;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#namesAndAlgorithms")
    void signWhenEitherProviderThenBothProvidersAndAnIndependentVerifierAccept(String provider, SigningAlgorithm alg)
            throws Exception {
        JWK key = TestProviders.privateKey(alg);
        JWSSigner signer = JwsFactory.signer(alg, key, TestProviders.get(provider));
        Base64URL sig = signer.sign(header(alg), INPUT);
        assertThat(JwsFactory.verifier(alg, key.toPublicJWK(), TestProviders.get(provider)).verify(header(alg), INPUT, sig)).isTrue();
        assertThat(JwsFactory.verifier(alg, key.toPublicJWK(), TestProviders.get(other(provider))).verify(header(alg), INPUT, sig))
                .as("the other provider").isTrue();
        assertThat(independentlyVerified(alg, key, sig.decode())).as("the JDK's own verifier").isTrue();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#namesAndAlgorithms")
    void verifyWhenInputTamperedOrHeaderNamesAnotherAlgorithmThenRejected(String provider, SigningAlgorithm alg)
            throws Exception {
        JWK key = TestProviders.privateKey(alg);
        CryptoProvider p = TestProviders.get(provider);
        Base64URL sig = JwsFactory.signer(alg, key, p).sign(header(alg), INPUT);
        JWSVerifier verifier = JwsFactory.verifier(alg, key.toPublicJWK(), p);
        byte[] tampered = INPUT.clone();
        tampered[3] ^= 1;
        assertThat(verifier.verify(header(alg), tampered, sig)).isFalse();
        JWSAlgorithm otherAlg = alg == SigningAlgorithm.RS256 ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
        assertThat(verifier.verify(new JWSHeader(otherAlg), INPUT, sig)).isFalse();
        assertThat(verifier.verify(header(alg), INPUT, Base64URL.encode(new byte[0]))).isFalse();
        assertThatThrownBy(() -> JwsFactory.signer(alg, key, p).sign(new JWSHeader(otherAlg), INPUT))
                .isInstanceOf(JOSEException.class).hasMessageContaining("only");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#namesAndAlgorithms")
    void signWhenManyThreadsShareOneSignerThenEverySignatureVerifies(String provider, SigningAlgorithm alg) throws Exception {
        JWK key = TestProviders.privateKey(alg);
        CryptoProvider p = TestProviders.get(provider);
        JWSSigner signer = JwsFactory.signer(alg, key, p);
        JWSVerifier verifier = JwsFactory.verifier(alg, key.toPublicJWK(), p);
        int perThread = alg == SigningAlgorithm.RS256 ? 20 : 100;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < perThread; i++) {
                        byte[] input = ("thread " + thread + " input " + i).getBytes(StandardCharsets.US_ASCII);
                        if (verifier.verify(header(alg), input, signer.sign(header(alg), input))) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> r : results) {
                assertThat(r.get()).isEqualTo(perThread);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#namesAndAlgorithms")
    void verifyWhenSignatureHasCharactersOutsideBase64UrlThenRejected(String provider, SigningAlgorithm alg) throws Exception {
        JWK key = TestProviders.privateKey(alg);
        CryptoProvider p = TestProviders.get(provider);
        String sig = JwsFactory.signer(alg, key, p).sign(header(alg), INPUT).toString();
        JWSVerifier verifier = JwsFactory.verifier(alg, key.toPublicJWK(), p);
        assertThat(verifier.verify(header(alg), INPUT, new Base64URL(sig))).isTrue();
        for (String junk : List.of("!", "~", "\u00e9", " ", "+", "/")) {
            String spoiled = sig.substring(0, 8) + junk + sig.substring(8);
            assertThat(verifier.verify(header(alg), INPUT, new Base64URL(spoiled))).as("with %s", junk).isFalse();
        }
    }

    /** RSASSA-PKCS1-v1_5 is deterministic, so the two providers must give the very same bytes. */
    @Test
    void signWhenRs256ThenBothProvidersGiveTheSameSignature() throws Exception {
        JWK key = TestProviders.privateKey(SigningAlgorithm.RS256);
        JWSHeader header = header(SigningAlgorithm.RS256);
        Base64URL accp = JwsFactory.signer(SigningAlgorithm.RS256, key, TestProviders.get(CryptoProvider.ACCP)).sign(header, INPUT);
        Base64URL bc = JwsFactory.signer(SigningAlgorithm.RS256, key, CryptoProviders.bouncyCastle()).sign(header, INPUT);
        assertThat(accp).isEqualTo(bc);
    }

    @ParameterizedTest
    @EnumSource(SigningAlgorithm.class)
    void signerWhenMadeByTheFactoryThenRunsOnTheActiveProvider(SigningAlgorithm alg) throws Exception {
        JWSSigner signer = JwsFactory.signer(alg, TestProviders.privateKey(alg));
        assertThat(((ProviderJwsSigner) signer).providerName()).isEqualTo(CryptoProvider.active().name());
    }

    @Test
    void signerWhenRsaKeyIsPublicOnlyThenRefused() throws Exception {
        JWK pub = TestProviders.privateKey(SigningAlgorithm.RS256).toPublicJWK();
        assertThatThrownBy(() -> new RsaJwsSigner((RSAKey) pub, CryptoProviders.bouncyCastle()))
                .isInstanceOf(JOSEException.class).hasMessageContaining("private");
    }

    private static boolean independentlyVerified(SigningAlgorithm alg, JWK key, byte[] sig) throws Exception {
        return switch (alg) {
            case ES256 -> new ECDSAVerifier(((ECKey) key).toPublicJWK()).verify(header(alg), INPUT, Base64URL.encode(sig));
            case RS256 -> new RSASSAVerifier(((RSAKey) key).toPublicJWK()).verify(header(alg), INPUT, Base64URL.encode(sig));
            case EdDSA -> {
                // Nimbus's Ed25519 verifier needs Tink; the JDK's SunEC verifies Ed25519 on its own.
                byte[] spki = HexFormat.of().parseHex("302a300506032b6570032100");
                byte[] x = ((OctetKeyPair) key).getDecodedX();
                byte[] der = new byte[spki.length + x.length];
                System.arraycopy(spki, 0, der, 0, spki.length);
                System.arraycopy(x, 0, der, spki.length, x.length);
                Signature v = Signature.getInstance("Ed25519", "SunEC");
                v.initVerify(KeyFactory.getInstance("Ed25519", "SunEC").generatePublic(new X509EncodedKeySpec(der)));
                v.update(INPUT);
                yield v.verify(sig);
            }
        };
    }
}
