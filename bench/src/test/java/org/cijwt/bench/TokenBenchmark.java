package org.cijwt.bench;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
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
 * Whole-token mint (claims + sign + serialise) and verify, per algorithm, on the provider the
 * {@code crypto} parameter names. The state is shared, so {@code -t 2} measures two threads
 * minting with one minter and one key, as a server does. Run by {@code bench/run}, or alone by
 * {@code bench/run jmh} or {@code ./mvnw -B -Pjmh -pl bench -am process-test-classes -Dcijwt.skipToolSetup=true}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class TokenBenchmark {
    @Param({"EdDSA", "ES256", "RS256"})
    public String alg;

    /** auto (the process's choice), accp or bc. */
    @Param({"auto"})
    public String crypto;

    private TokenMinter minter;
    private TokenVerifier verifier;
    private BuildMetadata metadata;
    private ClaimsPolicy policy;
    private String token;

    @Setup
    public void setUp() throws Exception {
        BenchKeys.useProvider(crypto);
        SigningAlgorithm algorithm = SigningAlgorithm.parse(alg);
        KeyRing ring = BenchKeys.ring(algorithm);
        KeyRing published = VerificationKeySource.fromJwks(ring.publicJwksJson(), "jwks");
        metadata = BuildMetadata.fromJson(TestKeys.metadata("main"), "main");
        policy = ClaimsPolicy.builder().issuer("https://ci.example.com").audience("vault").algorithm(algorithm)
                .ttl(Duration.ofMinutes(10)).build();
        minter = new TokenMinter(() -> ring, Clock.systemUTC());
        verifier = new TokenVerifier(() -> published, "https://ci.example.com", List.of("vault"),
                TokenVerifier.DEFAULT_LEEWAY, Clock.systemUTC());
        token = minter.mint(metadata, policy).compact();
        if (!verifier.verify(token).active()) {
            throw new IllegalStateException("benchmark token does not verify");
        }
    }

    @Benchmark
    public String mint() throws Exception {
        return minter.mint(metadata, policy).compact();
    }

    @Benchmark
    public Verification verify() {
        return verifier.verify(token);
    }
}
