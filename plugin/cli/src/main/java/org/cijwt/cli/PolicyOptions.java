package org.cijwt.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.claims.SubjectFormat;
import org.cijwt.errors.CiJwtException;
import org.cijwt.jose.SigningAlgorithm;
import picocli.CommandLine.Option;

/** The token options of {@code mint} and {@code preflight}. */
public final class PolicyOptions {
    public static final String DEFAULT_AUDIENCE = "ci-jwt";

    @Option(names = "--issuer", paramLabel = "URL", defaultValue = ClaimsPolicy.DEFAULT_ISSUER,
            description = "The iss claim; must equal the URL the web endpoint serves discovery at (default: ${DEFAULT-VALUE}).")
    String issuer;

    @Option(names = "--audience", paramLabel = "AUD", description = "An audience; repeatable (default: " + DEFAULT_AUDIENCE + ").")
    List<String> audiences = new ArrayList<>();

    @Option(names = "--ttl", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "1h",
            description = "Token lifetime, from 1m to 24h (default: ${DEFAULT-VALUE}).")
    Duration ttl;

    @Option(names = "--alg", paramLabel = "ALG", defaultValue = "ES256", description = "EdDSA, ES256 or RS256 (default: ${DEFAULT-VALUE}).")
    String alg;

    @Option(names = "--sub", paramLabel = "FORMAT", defaultValue = "pipeline",
            description = "Subject scope (team, pipeline, instance, job, step) or a template like team:{team}:pipeline:{pipeline} (default: ${DEFAULT-VALUE}).")
    String sub;

    @Option(names = "--nbf-skew", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "30s",
            description = "How far nbf is backdated, for relying parties with no leeway; at most 5m, 0 turns backdating off"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration nbfSkew;

    @Option(names = "--claim", paramLabel = "NAME=VALUE", description = "An extra static claim; repeatable. May not override a registered or build claim.")
    Map<String, String> claims = new LinkedHashMap<>();

    public ClaimsPolicy policy() throws CiJwtException {
        return ClaimsPolicy.builder()
                .issuer(issuer)
                .audiences(audiences.isEmpty() ? List.of(DEFAULT_AUDIENCE) : audiences)
                .ttl(ttl)
                .algorithm(SigningAlgorithm.parse(alg))
                .subject(SubjectFormat.parse(sub))
                .notBeforeSkew(nbfSkew)
                .extraClaims(new LinkedHashMap<>(claims))
                .build();
    }
}
