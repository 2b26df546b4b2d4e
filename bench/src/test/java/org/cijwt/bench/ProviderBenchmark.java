package org.cijwt.bench;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.jose.provider.RawSigner;
import org.cijwt.jose.provider.RawVerifier;
import org.cijwt.jose.provider.TestProviders;
import org.cijwt.keys.KeyRing;
import org.cijwt.tokens.TokenMinter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The provider alone, in the same kind of JVM as {@link TokenBenchmark}: one raw signature and one
 * raw verification over the signing input of a real token, nothing else. The ratio of the two
 * benchmarks is what ci-jwt adds around the signature.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class ProviderBenchmark {
    @Param({"EdDSA", "ES256", "RS256"})
    public String alg;

    /** auto (the process's choice), accp or bc. */
    @Param({"auto"})
    public String crypto;

    private RawSigner signer;
    private RawVerifier verifier;
    private byte[] signingInput;
    private byte[] signature;

    @Setup
    public void setUp() throws Exception {
        CryptoProvider provider = BenchKeys.useProvider(crypto);
        SigningAlgorithm algorithm = SigningAlgorithm.parse(alg);
        JWK key = TestProviders.privateKey(algorithm);
        switch (algorithm) {
            case EdDSA -> {
                OctetKeyPair okp = (OctetKeyPair) key;
                signer = provider.ed25519Signer(okp.getDecodedD());
                verifier = provider.ed25519Verifier(okp.getDecodedX());
            }
            case ES256 -> {
                ECKey ec = (ECKey) key;
                signer = provider.p256Signer(ec.getD().decodeToBigInteger());
                verifier = provider.p256Verifier(ec.getX().decodeToBigInteger(), ec.getY().decodeToBigInteger());
            }
            case RS256 -> {
                RSAKey rsa = (RSAKey) key;
                signer = provider.rsaSha256Signer(rsa.toRSAPrivateKey());
                verifier = provider.rsaSha256Verifier(rsa.toRSAPublicKey());
            }
        }
        KeyRing ring = BenchKeys.ring(algorithm);
        ClaimsPolicy policy = ClaimsPolicy.builder().issuer("https://ci.example.com").audience("vault").algorithm(algorithm)
                .ttl(Duration.ofMinutes(10)).build();
        String token = new TokenMinter(() -> ring, Clock.systemUTC())
                .mint(BuildMetadata.fromJson(TestKeys.metadata("main"), "main"), policy).compact();
        signingInput = token.substring(0, token.lastIndexOf('.')).getBytes(StandardCharsets.US_ASCII);
        signature = signer.sign(signingInput);
        if (!verifier.verify(signingInput, signature)) {
            throw new IllegalStateException("benchmark signature does not verify");
        }
    }

    @Benchmark
    public byte[] sign() throws Exception {
        return signer.sign(signingInput);
    }

    @Benchmark
    public boolean verify() {
        return verifier.verify(signingInput, signature);
    }
}
