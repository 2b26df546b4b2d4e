package org.cijwt.demo;

import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.io.Json;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.ExitCode;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.EmbeddedKeyStore;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.RotationPolicy;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ci-jwt demo}: the whole flow on the embedded default, one command. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate (or reuse) the embedded key store, mint a token for the sample build, show and verify it,"
                + " then run the stages other modules add (container, server, Vault, Concourse).")
public final class DemoCommand implements Callable<Integer> {
    static final String SAMPLE_METADATA = "/org/cijwt/fixtures/metadata/main.json";

    @Option(names = "--state", paramLabel = "DIR", defaultValue = ".ci-jwt", description = "State directory (default: ${DEFAULT-VALUE}).")
    Path state;

    @Option(names = "--metadata", paramLabel = "FILE", description = "Build metadata JSON (default: the sample build, fixtures metadata/main.json).")
    Path metadata;

    @Option(names = "--core-only", description = "Stop after minting and verifying; skip container, server and Vault stages.")
    boolean coreOnly;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path keysDir = state.resolve("keys");
        KeySource source = new EmbeddedKeyStore(keysDir, RotationPolicy.DEFAULT, Clock.systemUTC(), EmbeddedKeyStore.DEFAULT_ALGORITHMS);
        out.println("== 1. key store: " + keysDir.toAbsolutePath());
        KeyRing ring = source.load();
        ring.publishedKeys().forEach(k -> out.println("   " + k.entry().algorithm() + "  kid " + k.entry().kid()));

        BuildMetadata md = metadata != null ? BuildMetadata.fromJsonFile(metadata) : sampleMetadata();
        ClaimsPolicy policy = ClaimsPolicy.builder().audience("ci-jwt-demo").build();
        MintedToken token = new TokenMinter(() -> ring, Clock.systemUTC()).mint(md, policy);
        out.println();
        out.println("== 2. token minted for team " + md.team() + ", pipeline " + md.pipeline() + ", job " + md.job()
                + ", build " + md.buildId() + " (" + token.algorithm() + ", expires " + token.expiresAt() + ")");
        SignedJWT parsed = SignedJWT.parse(token.compact());
        out.println("   header: " + Json.pretty(parsed.getHeader().toJSONObject()).replace("\n", "\n   "));
        out.println("   claims: " + Json.pretty(inClaimOrder(parsed.getJWTClaimsSet().toJSONObject())).replace("\n", "\n   "));

        out.println();
        out.println("== 3. verified with the public JWKS only, for each algorithm");
        KeyRing publicOnly = VerificationKeySource.fromJwks(ring.publicJwksJson(), "published JWKS");
        TokenVerifier verifier = new TokenVerifier(() -> publicOnly, policy.issuer(), policy.audiences(),
                TokenVerifier.DEFAULT_LEEWAY, Clock.systemUTC());
        boolean allOk = true;
        for (SigningAlgorithm alg : SigningAlgorithm.values()) {
            MintedToken t = alg == token.algorithm() ? token
                    : new TokenMinter(() -> ring, Clock.systemUTC()).mint(md, policy.toBuilder().algorithm(alg).build());
            Verification v = verifier.verify(t.compact());
            allOk &= v.active();
            out.println("   " + alg + ": " + (v.active() ? "valid (kid " + t.kid() + ")" : "REJECTED " + v));
        }
        if (!allOk) {
            return ExitCode.REJECTED;
        }
        if (coreOnly) {
            return ExitCode.OK;
        }
        List<DemoStep> steps = List.of(new PreflightDemoStep(), new ServerDemoStep(), new VaultDemoStep(), new ConcourseDemoStep());
        DemoContext ctx = new DemoContext(state, source, ring, md, policy, token, out);
        int n = 4;
        for (DemoStep step : steps) {
            out.println();
            out.println("== " + n++ + ". " + step.title());
            step.run(ctx);
        }
        return ExitCode.OK;
    }

    /** Registered claims first, then build claims, as a reader expects them. */
    static java.util.Map<String, Object> inClaimOrder(java.util.Map<String, Object> claims) {
        java.util.Map<String, Object> ordered = new java.util.LinkedHashMap<>();
        for (String name : org.cijwt.claims.ClaimNames.ALL) {
            if (claims.containsKey(name)) {
                ordered.put(name, claims.get(name));
            }
        }
        claims.forEach(ordered::putIfAbsent);
        return ordered;
    }

    static BuildMetadata sampleMetadata() throws CiJwtException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(SAMPLE_METADATA)) {
            if (in == null) {
                throw new CiJwtException(ErrorCode.METADATA_INVALID, "sample metadata " + SAMPLE_METADATA + " is missing from the class path");
            }
            return BuildMetadata.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), "sample metadata");
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.METADATA_INVALID, "sample metadata cannot be read");
        }
    }

}
