package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.testkit.TestPolicies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenProfileTest {

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
                claims: {environment: prod, tier: 2, public: false}
            """;

    /** Looks like a token; a message that quotes a value would show it. */
    private static final String SECRET = "eyJhbGciOiJFUzI1NiJ9.c2VjcmV0.c2ln";

    @TempDir
    Path temp;

    @Test
    void parseWhenYamlListsTwoTokensThenEachHasItsPolicyAndOnlyTheAwsOneIsMarked() throws CiJwtException {
        TokenProfile config = TokenProfile.parse(TWO_TOKENS, "test");

        assertThat(config.issuer()).isEqualTo("https://ci.example.com");
        assertThat(config.tokens()).extracting(TokenProfile.TokenConfig::name).containsExactly("jwt", "aws");
        ClaimsPolicy jwt = config.defaultToken().policy();
        assertThat(jwt.audiences()).containsExactly("vault");
        assertThat(jwt.ttl()).isEqualTo(Duration.ofMinutes(15));
        assertThat(jwt.algorithm()).isEqualTo(SigningAlgorithm.EdDSA);
        assertThat(jwt.issuer()).isEqualTo("https://ci.example.com");
        assertThat(config.awsToken()).get().extracting(TokenProfile.TokenConfig::name).isEqualTo("aws");
        assertThat(config.token("aws").orElseThrow().policy().extraClaims())
                .containsEntry("environment", "prod").containsEntry("tier", 2L).containsEntry("public", false);
        assertThat(config.token("aws").orElseThrow().policy().ttl()).isEqualTo(ClaimsPolicy.DEFAULT_TTL);
        assertThat(config.algorithms()).containsExactlyInAnyOrder(SigningAlgorithm.EdDSA, SigningAlgorithm.ES256);
    }

    @Test
    void parseWhenJsonThenSameAsYaml() throws CiJwtException {
        TokenProfile config = TokenProfile.parse(
                "{\"tokens\": [{\"audiences\": [\"vault\"], \"ttl\": \"10m\"}]}", "test");

        assertThat(config.issuer()).isEqualTo(ClaimsPolicy.DEFAULT_ISSUER);
        assertThat(config.defaultToken().policy().audiences()).containsExactly("vault");
        assertThat(config.defaultToken().policy().ttl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.defaultToken().containerPath()).isEqualTo("/var/run/secrets/concourse-ci/jwt");
    }

    @Test
    void parseWhenTokenHasUnknownKeyThenErrorNamesTheKeyTheTokenAndTheKnownKeys() {
        refused("tokens:\n  - name: jwt\n    audience: vault\n", "cfg.yml", ErrorCode.CONFIG_UNKNOWN_KEY)
                .hasMessage("cfg.yml: tokens[0]: unknown key 'audience' (known keys: name, audiences, ttl, algorithm,"
                        + " subject, aws, claims)");
    }

    @Test
    void parseWhenTopLevelKeyIsUnknownThenErrorNamesIt() {
        refused("issuer: https://a.example\ntoken: []\n", "cfg.yml", ErrorCode.CONFIG_UNKNOWN_KEY)
                .hasMessage("cfg.yml: unknown key 'token' (known keys: issuer, tokens, on_request)");
    }

    @Test
    void parseWhenNoTokenIsNamedJwtThenRefusedBecauseItBecomesTheVariable() {
        refused("tokens:\n  - {name: aws, audiences: [sts.amazonaws.com]}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("c: tokens: a token named 'jwt' is required")
                .hasMessageContaining("CONCOURSE_CI_JWT");
    }

    @Test
    void parseWhenTokensAreMissingThenRefusedNamingTheKey() {
        refused("issuer: https://ci.example.com\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessage("c: tokens: is required: a list with at least the token 'jwt'");
        refused("", "c", ErrorCode.SETTING_INVALID).hasMessageStartingWith("c: tokens: is required");
    }

    @Test
    void parseWhenTokensIsEmptyThenRefused() {
        refused("tokens: []\n", "c", ErrorCode.SETTING_INVALID).hasMessage("c: tokens: at least the token 'jwt' is required");
    }

    @Test
    void parseWhenTwoTokensShareANameThenRefused() {
        refused("tokens:\n  - {audiences: [a]}\n  - {name: jwt, audiences: [b]}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessageContaining("c: tokens: two tokens are named 'jwt'");
    }

    @Test
    void parseWhenTwoTokensAreMarkedAwsThenRefusedNamingBoth() {
        refused("""
                tokens:
                  - {name: jwt, audiences: [a], aws: true}
                  - {name: aws, audiences: [b], aws: true}
                """, "c", ErrorCode.SETTING_INVALID)
                .hasMessageContaining("'jwt' and 'aws' both set aws: true");
    }

    @Test
    void parseWhenTtlIsOutOfRangeThenErrorNamesTokenAndTheLifetimeRule() {
        refused("tokens:\n  - {name: jwt, audiences: [a], ttl: 48h}\n", "c", ErrorCode.POLICY_INVALID)
                .hasMessage("c: tokens[0]: ttl 48h is outside [1m, 24h]");
    }

    @Test
    void parseWhenTtlIsABareNumberThenRefusedBecauseItsUnitWouldBeAGuess() {
        refused("{\"tokens\": [{\"audiences\": [\"vault\"], \"ttl\": 600}]}", "c", ErrorCode.SETTING_INVALID)
                .hasMessage("c: tokens[0].ttl: is a bare number, but a duration needs its unit (e.g. 90s, 10m, 1h, 7d, or 0)");
    }

    @Test
    void parseWhenTtlIsNotInTheDurationGrammarThenRefusedNamingThePath() {
        refused("tokens:\n  - {audiences: [a], ttl: 10 minutes}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("c: tokens[0].ttl: is not a duration");
        refused("tokens:\n  - {audiences: [a], ttl: 10M}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessageContaining("units are lower case");
    }

    @Test
    void parseWhenAlgorithmIsNotAllowedThenErrorNamesItsPath() {
        refused("tokens:\n  - {audiences: [a], algorithm: HS256}\n", "c", ErrorCode.ALGORITHM_NOT_ALLOWED)
                .hasMessageStartingWith("c: tokens[0].algorithm: algorithm 'HS256' is not allowed");
    }

    @Test
    void parseWhenSubjectIsNotAScopeOrTemplateThenErrorNamesItsPath() {
        refused("tokens:\n  - {audiences: [a], subject: '{team}{pipeline}'}\n", "c", ErrorCode.SUBJECT_INVALID)
                .hasMessageStartingWith("c: tokens[0].subject: ");
        refused("tokens:\n  - {audiences: [a], subject: galaxy}\n", "c", ErrorCode.SUBJECT_INVALID)
                .hasMessageStartingWith("c: tokens[0].subject: subject scope 'galaxy' is unknown");
    }

    @Test
    void parseWhenTokenNameIsAPathThenRefused() {
        refused("tokens:\n  - {name: ../x, audiences: [a]}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessageContaining("c: tokens[0].name: invalid token name \"../x\"");
    }

    @Test
    void parseWhenAwsIsNotABooleanThenRefused() {
        refused("tokens:\n  - {audiences: [a], aws: maybe}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessage("c: tokens[0].aws: must be true or false, not a string");
    }

    @Test
    void parseWhenAwsIsAYamlYesThenRefusedBecauseOnlyTrueAndFalseAreBooleans() {
        refused("tokens:\n  - {audiences: [a], aws: yes}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessage("c: tokens[0].aws: must be true or false, not a string");
    }

    @Test
    void parseWhenANumberStandsWhereAStringBelongsThenRefusedNotCoerced() {
        refused("tokens:\n  - {name: 7, audiences: [a]}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessage("c: tokens[0].name: must be a string, not a whole number");
        refused("tokens:\n  - {audiences: [a, 5]}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessage("c: tokens[0].audiences[1]: must be a string, not a whole number");
    }

    @Test
    void parseWhenASingleStringStandsWhereAListBelongsThenRefused() {
        refused("tokens:\n  - {audiences: vault}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessage("c: tokens[0].audiences: must be a list, not a string");
    }

    @Test
    void parseWhenAudiencesAreMissingThenRefusedNamingTheKey() {
        refused("tokens:\n  - {name: jwt}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("c: tokens[0].audiences: is required");
    }

    @Test
    void parseWhenAValueIsNullThenRefusedRatherThanTakenAsTheDefault() {
        refused("tokens:\n  - {audiences: [a], ttl: ~}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessage("c: tokens[0].ttl: has no value (leave the key out to use its default)");
        refused("issuer:\ntokens:\n  - {audiences: [a]}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessage("c: issuer: has no value (leave the key out to use its default)");
    }

    @Test
    void parseWhenAClaimIsAFractionOrAListThenRefusedNamingTheClaim() {
        refused("tokens:\n  - {audiences: [a], claims: {ratio: 0.5}}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("c: tokens[0].claims.ratio: must be a string, a whole number");
        refused("tokens:\n  - {audiences: [a], claims: {teams: [a, b]}}\n", "c", ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("c: tokens[0].claims.teams: must be");
    }

    @Test
    void parseWhenTheDocumentIsAListThenRefusedAsNotAMapping() {
        refused("- jwt\n", "c", ErrorCode.SETTING_INVALID).hasMessage("c: must be a mapping, not a list");
    }

    @Test
    void parseWhenIssuerEndsWithSlashThenRefusedAtTheIssuerKey() {
        refused("issuer: https://ci.example.com/\ntokens:\n  - {audiences: [a]}\n", "c", ErrorCode.POLICY_INVALID)
                .hasMessageStartingWith("c: issuer: ").hasMessageContaining("ends with '/'");
    }

    @Test
    void parseWhenTextIsNotYamlThenErrorGivesThePlaceOnly() {
        refused("tokens: [unclosed\n", "c", ErrorCode.CONFIG_UNREADABLE)
                .hasMessageStartingWith("c is not valid YAML or JSON at line")
                .hasMessageNotContaining("unclosed");
    }

    @Test
    void parseWhenAKeyAppearsTwiceThenRefused() {
        refused("tokens:\n  - {audiences: [a]}\ntokens:\n  - {audiences: [b]}\n", "c", ErrorCode.CONFIG_UNREADABLE)
                .hasMessageContaining("a key appears twice");
    }

    @Test
    void parseWhenASecretSitsInTheWrongPlaceThenNoMessageQuotesIt() {
        for (String yaml : List.of(
                "tokens:\n  - {audiences: [a], ttl: " + SECRET + "}\n",
                "tokens:\n  - {audiences: [a], aws: " + SECRET + "}\n",
                "tokens:\n  - {audiences: {" + SECRET + ": 1}}\n",
                "tokens:\n  - {audiences: [a], claims: {token: [" + SECRET + "]}}\n",
                "tokens: " + SECRET + "\n",
                "tokens:\n  - {audiences: [a]}\n  - " + SECRET + "\n",
                "tokens: [" + SECRET + "\n")) {
            assertThatThrownBy(() -> TokenProfile.parse(yaml, "c"))
                    .isInstanceOf(CiJwtException.class)
                    .hasMessageNotContaining(SECRET)
                    .hasMessageNotContaining("Cannot")
                    .hasMessageNotContaining("com.fasterxml");
        }
    }

    @Test
    void readWhenFileIsMissingThenErrorNamesTheFile() {
        Path missing = temp.resolve("none.yml");

        assertThatThrownBy(() -> TokenProfile.read(missing))
                .hasMessage("pre-flight config " + missing + " does not exist")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.CONFIG_UNREADABLE);
    }

    @Test
    void readWhenFileIsValidThenParsed() throws CiJwtException {
        Path file = TestKeys.write(temp.resolve("p.yml"), TWO_TOKENS, "rw-r--r--");

        assertThat(TokenProfile.read(file).tokens()).hasSize(2);
    }

    @Test
    void readWhenAValueIsWrongThenErrorNamesTheFileAndThePath() {
        Path file = TestKeys.write(temp.resolve("p.json"), "{\"tokens\": [{\"audiences\": [\"a\"], \"aws\": 1}]}", "rw-r--r--");

        assertThatThrownBy(() -> TokenProfile.read(file))
                .hasMessage("pre-flight config " + file + ": tokens[0].aws: must be true or false, not a whole number");
    }

    @Test
    void withIssuerThenEveryTokenUsesTheNewIssuer() throws CiJwtException {
        TokenProfile config = TokenProfile.parse(TWO_TOKENS, "test").withIssuer("https://other.example");

        assertThat(config.tokens()).allSatisfy(t -> assertThat(t.policy().issuer()).isEqualTo("https://other.example"));
    }

    @Test
    void defaultsThenOneEs256TokenNamedJwtForTheDefaultAudience() throws CiJwtException {
        TokenProfile config = TokenProfile.defaults(ClaimsPolicy.DEFAULT_ISSUER);

        assertThat(config.tokens()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("jwt");
            assertThat(t.aws()).isFalse();
            assertThat(t.policy().audiences()).containsExactly(TokenProfile.DEFAULT_AUDIENCE);
        });
        assertThat(config.algorithms()).containsExactly(SigningAlgorithm.ES256);
    }

    @Test
    void constructorWhenTokensDisagreeOnIssuerThenRefused() throws CiJwtException {
        ClaimsPolicy other = TestPolicies.build(TestPolicies.builder().issuer("https://elsewhere.example"));
        List<TokenProfile.TokenConfig> tokens = List.of(new TokenProfile.TokenConfig("jwt", other, false));

        assertThatThrownBy(() -> new TokenProfile("https://ci.example.com", tokens))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has issuer https://elsewhere.example");
    }

    /** Asserts that parsing fails with {@code code} (any code when null) and returns the message for more checks. */
    private static AbstractThrowableAssert<?, ? extends Throwable> refused(String yaml, String origin, ErrorCode code) {
        CiJwtException e = org.junit.jupiter.api.Assertions.assertThrows(CiJwtException.class, () -> TokenProfile.parse(yaml, origin));
        if (code != null) {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
        }
        return assertThat(e);
    }
}
