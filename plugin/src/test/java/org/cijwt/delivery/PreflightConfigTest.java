package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreflightConfigTest {

    private static final String TWO_TOKENS = """
            issuer: https://ci.example.com
            tokens:
              - name: jwt
                audiences: [vault]
                ttl: 15m
                algorithm: EdDSA
                subject: job
              - name: aws
                audiences: [sts.amazonaws.com]
                aws: true
                claims: {environment: prod}
            """;

    @TempDir
    Path temp;

    @Test
    void parseWhenYamlListsTwoTokensThenEachHasItsPolicyAndOnlyTheAwsOneIsMarked() throws CiJwtException {
        PreflightConfig config = PreflightConfig.parse(TWO_TOKENS, "test");

        assertThat(config.issuer()).isEqualTo("https://ci.example.com");
        assertThat(config.tokens()).extracting(PreflightConfig.TokenConfig::name).containsExactly("jwt", "aws");
        ClaimsPolicy jwt = config.defaultToken().policy();
        assertThat(jwt.audiences()).containsExactly("vault");
        assertThat(jwt.ttl()).isEqualTo(Duration.ofMinutes(15));
        assertThat(jwt.algorithm()).isEqualTo(SigningAlgorithm.EdDSA);
        assertThat(jwt.issuer()).isEqualTo("https://ci.example.com");
        assertThat(config.awsToken()).get().extracting(PreflightConfig.TokenConfig::name).isEqualTo("aws");
        assertThat(config.token("aws").orElseThrow().policy().extraClaims()).containsEntry("environment", "prod");
        assertThat(config.token("aws").orElseThrow().policy().ttl()).isEqualTo(ClaimsPolicy.DEFAULT_TTL);
        assertThat(config.algorithms()).containsExactlyInAnyOrder(SigningAlgorithm.EdDSA, SigningAlgorithm.ES256);
    }

    @Test
    void parseWhenJsonThenSameAsYaml() throws CiJwtException {
        PreflightConfig config = PreflightConfig.parse(
                "{\"tokens\": [{\"audiences\": \"vault\", \"ttl\": 600}]}", "test");

        assertThat(config.issuer()).isEqualTo(ClaimsPolicy.DEFAULT_ISSUER);
        assertThat(config.defaultToken().policy().audiences()).containsExactly("vault");
        assertThat(config.defaultToken().policy().ttl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.defaultToken().containerPath()).isEqualTo("/var/run/secrets/concourse-ci/jwt");
    }

    @Test
    void parseWhenTokenHasUnknownKeyThenErrorNamesTheKeyAndTheToken() {
        assertThatThrownBy(() -> PreflightConfig.parse("tokens:\n  - name: jwt\n    audience: vault\n", "cfg.yml"))
                .isInstanceOf(CiJwtException.class)
                .hasMessage("cfg.yml: tokens[0]: unknown key 'audience' (known keys: name, audiences, ttl, algorithm,"
                        + " subject, aws, claims)")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.SETTING_INVALID);
    }

    @Test
    void parseWhenTopLevelKeyIsUnknownThenErrorNamesIt() {
        assertThatThrownBy(() -> PreflightConfig.parse("issuer: https://a.example\ntoken: []\n", "cfg.yml"))
                .hasMessageContaining("unknown key 'token'");
    }

    @Test
    void parseWhenNoTokenIsNamedJwtThenRefusedBecauseItBecomesTheVariable() {
        assertThatThrownBy(() -> PreflightConfig.parse("tokens:\n  - {name: aws, audiences: [sts.amazonaws.com]}\n", "c"))
                .hasMessageContaining("a token named 'jwt' is required")
                .hasMessageContaining("CONCOURSE_CI_JWT");
    }

    @Test
    void parseWhenTwoTokensShareANameThenRefused() {
        assertThatThrownBy(() -> PreflightConfig.parse(
                "tokens:\n  - {audiences: [a]}\n  - {name: jwt, audiences: [b]}\n", "c"))
                .hasMessageContaining("two tokens are named 'jwt'");
    }

    @Test
    void parseWhenTwoTokensAreMarkedAwsThenRefusedNamingBoth() {
        assertThatThrownBy(() -> PreflightConfig.parse("""
                tokens:
                  - {name: jwt, audiences: [a], aws: true}
                  - {name: aws, audiences: [b], aws: true}
                """, "c"))
                .hasMessageContaining("'jwt' and 'aws' both set aws: true");
    }

    @Test
    void parseWhenTtlIsOutOfRangeThenErrorNamesTokenAndSetting() {
        assertThatThrownBy(() -> PreflightConfig.parse("tokens:\n  - {name: jwt, audiences: [a], ttl: 48h}\n", "c"))
                .hasMessage("c: tokens[0] (jwt): ttl 48h is outside [1m, 24h]");
    }

    @Test
    void parseWhenAlgorithmIsNotAllowedThenErrorNamesIt() {
        assertThatThrownBy(() -> PreflightConfig.parse("tokens:\n  - {audiences: [a], algorithm: HS256}\n", "c"))
                .hasMessageContaining("tokens[0] (jwt): algorithm 'HS256' is not allowed");
    }

    @Test
    void parseWhenTokenNameIsAPathThenRefused() {
        assertThatThrownBy(() -> PreflightConfig.parse("tokens:\n  - {name: ../x, audiences: [a]}\n", "c"))
                .hasMessageContaining("invalid token name \"../x\"");
    }

    @Test
    void parseWhenAwsIsNotABooleanThenRefused() {
        assertThatThrownBy(() -> PreflightConfig.parse("tokens:\n  - {audiences: [a], aws: maybe}\n", "c"))
                .hasMessageContaining("'aws' must be true or false");
    }

    @Test
    void parseWhenIssuerEndsWithSlashThenRefused() {
        assertThatThrownBy(() -> PreflightConfig.parse("issuer: https://ci.example.com/\ntokens:\n  - {audiences: [a]}\n", "c"))
                .hasMessageContaining("ends with '/'");
    }

    @Test
    void parseWhenTextIsNotYamlThenErrorGivesThePlaceOnly() {
        assertThatThrownBy(() -> PreflightConfig.parse("tokens: [unclosed\n", "c"))
                .hasMessageStartingWith("c is not valid YAML or JSON at line");
    }

    @Test
    void parseWhenAKeyAppearsTwiceThenRefused() {
        assertThatThrownBy(() -> PreflightConfig.parse("tokens:\n  - {audiences: [a]}\ntokens:\n  - {audiences: [b]}\n", "c"))
                .hasMessageContaining("a key appears twice");
    }

    @Test
    void readWhenFileIsMissingThenErrorNamesTheFile() {
        Path missing = temp.resolve("none.yml");

        assertThatThrownBy(() -> PreflightConfig.read(missing))
                .hasMessage("pre-flight config " + missing + " does not exist");
    }

    @Test
    void readWhenFileIsValidThenParsed() throws CiJwtException {
        Path file = TestKeys.write(temp.resolve("p.yml"), TWO_TOKENS, "rw-r--r--");

        assertThat(PreflightConfig.read(file).tokens()).hasSize(2);
    }

    @Test
    void withIssuerThenEveryTokenUsesTheNewIssuer() throws CiJwtException {
        PreflightConfig config = PreflightConfig.parse(TWO_TOKENS, "test").withIssuer("https://other.example");

        assertThat(config.tokens()).allSatisfy(t -> assertThat(t.policy().issuer()).isEqualTo("https://other.example"));
    }

    @Test
    void defaultsThenOneEs256TokenNamedJwtForTheDefaultAudience() throws CiJwtException {
        PreflightConfig config = PreflightConfig.defaults(ClaimsPolicy.DEFAULT_ISSUER);

        assertThat(config.tokens()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("jwt");
            assertThat(t.aws()).isFalse();
            assertThat(t.policy().audiences()).containsExactly(PreflightConfig.DEFAULT_AUDIENCE);
        });
        assertThat(config.algorithms()).containsExactly(SigningAlgorithm.ES256);
    }

    @Test
    void constructorWhenTokensDisagreeOnIssuerThenRefused() throws CiJwtException {
        ClaimsPolicy other = ClaimsPolicy.builder().issuer("https://elsewhere.example").audience("a").build();
        List<PreflightConfig.TokenConfig> tokens = List.of(new PreflightConfig.TokenConfig("jwt", other, false));

        assertThatThrownBy(() -> new PreflightConfig("https://ci.example.com", tokens))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has issuer https://elsewhere.example");
    }
}
