package org.cijwt.bench;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.testkit.TestBuilds;
import org.cijwt.testkit.TestKeyRings;
import org.cijwt.testkit.TestPolicies;
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
 * Whole-token mint (claims + sign + serialise) and verify, per algorithm, on one thread.
 * Run with: {@code ./mvnw -B -Pjmh -pl plugin -am process-test-classes -Dcijwt.skipToolSetup=true}.
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

    private TokenMinter minter;
    private TokenVerifier verifier;
    private BuildMetadata metadata;
    private ClaimsPolicy policy;
    private String token;

    @Setup
    public void setUp() throws Exception {
        KeyRing ring = TestKeyRings.signing();
        KeyRing published = TestKeyRings.published();
        metadata = TestBuilds.main();
        policy = TestPolicies.policy(SigningAlgorithm.parse(alg));
        minter = new TokenMinter(() -> ring, Clock.systemUTC());
        verifier = new TokenVerifier(() -> published, TestPolicies.ISSUER, List.of(TestPolicies.AUDIENCE),
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
