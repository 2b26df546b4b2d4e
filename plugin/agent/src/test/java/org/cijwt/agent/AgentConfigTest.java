package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.assertj.core.api.AbstractThrowableAssert;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.delivery.TokenProfile;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.signedconfig.ConfigVerifier;
import org.cijwt.testkit.TestPolicies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's agent configuration, bound by ConfigBinder: profiles as pre-flight configs, the default, the issuer. */
class AgentConfigTest {

    private static final String ISSUER = TestPolicies.ISSUER;
    private static final String TWO_PROFILES = """
            issuer: %s
            default_profile: aws
            profiles:
              default: {tokens: [{name: jwt, audiences: [vault], ttl: 10m}]}
              aws: {tokens: [{name: jwt, audiences: [sts.amazonaws.com], aws: true}]}
            """.formatted(ISSUER);

    @TempDir
    Path dir;

    private static AgentConfig parse(String yaml) throws CiJwtException {
        return AgentConfig.parse(yaml, "agent config a.yml", null);
    }

    /** Asserts that parsing fails with {@code code} and returns the message for more checks. */
    private static AbstractThrowableAssert<?, ? extends Throwable> refused(String yaml, ErrorCode code) {
        CiJwtException e = assertThrows(CiJwtException.class, () -> parse(yaml));
        assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
        return assertThat(e);
    }

    @Test
    void parseWhenTwoProfilesAndADefaultThenEachIsAPreflightConfigUnderTheFilesIssuer() throws Exception {
        AgentConfig config = parse(TWO_PROFILES);

        assertThat(config.defaultProfile()).isEqualTo("aws");
        assertThat(config.profiles()).containsOnlyKeys("default", "aws");
        TokenProfile vault = config.profile(Optional.of("default"));
        assertThat(vault.defaultToken().policy().audiences()).containsExactly("vault");
        assertThat(vault.defaultToken().policy().ttl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.profile(Optional.empty()).awsToken()).isPresent();
        assertThat(config.profileName(Optional.empty())).isEqualTo("aws");
        assertThat(config.profiles().values()).allSatisfy(p -> {
            assertThat(p.issuer()).isEqualTo(ISSUER);
            assertThat(p.tokens()).allSatisfy(t -> assertThat(t.policy().issuer()).isEqualTo(ISSUER));
        });
    }

    @Test
    void parseWhenNoDefaultProfileIsNamedThenTheProfileNamedDefaultElseTheFirst() throws Exception {
        assertThat(parse(TWO_PROFILES.replace("default_profile: aws\n", "")).defaultProfile()).isEqualTo("default");
        assertThat(parse("""
                profiles:
                  vault: {tokens: [{audiences: [vault]}]}
                  aws: {tokens: [{audiences: [sts.amazonaws.com], aws: true}]}
                """).defaultProfile()).isEqualTo("vault");
    }

    @Test
    void parseWhenTheIssuerFlagIsGivenThenItWinsOverTheFilesAndWithoutEitherTheDefaultIssuerApplies() throws Exception {
        AgentConfig flagged = AgentConfig.parse(TWO_PROFILES, "agent config a.yml", "https://flag.example.test");
        AgentConfig unset = parse("profiles: {default: {tokens: [{audiences: [vault]}]}}\n");

        assertThat(flagged.profiles().values()).allSatisfy(p -> assertThat(p.issuer()).isEqualTo("https://flag.example.test"));
        assertThat(unset.profile(Optional.empty()).issuer()).isEqualTo(ClaimsPolicy.DEFAULT_ISSUER);
    }

    @Test
    void parseWhenATopLevelKeyIsUnknownThenConfigUnknownKeyListingTheKnownOnes() {
        refused(TWO_PROFILES + "profile: default\n", ErrorCode.CONFIG_UNKNOWN_KEY)
                .hasMessage("agent config a.yml: unknown key 'profile' (known keys: issuer, default_profile, profiles,"
                        + " concourse_ca_file, concourse_fail_open, concourse_password_file, concourse_step_types, concourse_timeout,"
                        + " concourse_url, concourse_user, identity_source, verification_failure_behavior_by_team)");
    }

    @Test
    void parseWhenNoIdentitySourceIsSetThenAnnotation() throws Exception {
        assertThat(parse(TWO_PROFILES).identity()).isEqualTo(IdentityConfig.ANNOTATION);
        assertThat(parse(TWO_PROFILES).identity().validated().source()).isEqualTo("annotation");
    }

    @Test
    void parseWhenTheConcourseSourceIsSetThenItsSettingsAreReadAndChecked() throws Exception {
        Path password = dir.resolve("password");
        java.nio.file.Files.writeString(password, "secret\n");
        java.nio.file.Files.setPosixFilePermissions(password, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        IdentityConfig id = parse(TWO_PROFILES + """
                identity_source: concourse
                concourse_url: http://127.0.0.1:8081
                concourse_user: ci-jwt
                concourse_password_file: %s
                concourse_timeout: 2s
                concourse_step_types: [task, put]
                """.formatted(password)).identity().validated();

        assertThat(id.source()).isEqualTo("concourse");
        assertThat(id.concourseUser()).isEqualTo("ci-jwt");
        assertThat(id.concourseTimeout()).isEqualTo(java.time.Duration.ofSeconds(2));
        assertThat(id.stepTypes()).containsExactlyInAnyOrder("task", "put");
        assertThat(id.failOpen()).isFalse();
    }

    @Test
    void validatedWhenTheIdentitySettingsDisagreeThenRefusedNamingTheSetting() throws Exception {
        CiJwtException unknown = assertThrows(CiJwtException.class,
                () -> parse(TWO_PROFILES + "identity_source: kubelet\n").identity().validated());
        assertThat(unknown).hasMessageContaining("identity_source").hasMessageContaining("neither annotation nor concourse");

        CiJwtException forgotten = assertThrows(CiJwtException.class,
                () -> parse(TWO_PROFILES + "concourse_url: http://127.0.0.1:8081\n").identity().validated());
        assertThat(forgotten.code()).isEqualTo(ErrorCode.OPTIONS_CONFLICT);
        assertThat(forgotten).hasMessageContaining("identity_source");

        CiJwtException step = assertThrows(CiJwtException.class, () -> parse(TWO_PROFILES
                + "identity_source: concourse\nconcourse_step_types: [task, deploy]\n").identity().validated());
        assertThat(step).hasMessageContaining("concourse_step_types").hasMessageContaining("'deploy'");

        CiJwtException noUrl = assertThrows(CiJwtException.class,
                () -> parse(TWO_PROFILES + "identity_source: concourse\n").identity().validated());
        assertThat(noUrl).hasMessageContaining("concourse_url");
    }

    @Test
    void parseWhenAKeyInsideAProfileIsUnknownThenConfigUnknownKeyWithItsPath() {
        refused(TWO_PROFILES.replace("ttl: 10m", "ttl: 10m, lifetime: 1h"), ErrorCode.CONFIG_UNKNOWN_KEY)
                .hasMessageStartingWith("agent config a.yml: profiles.default.tokens[0]: unknown key 'lifetime'");
    }

    @Test
    void parseWhenAProfileBreaksAPreflightRuleThenThatRulesCodeAtItsPath() {
        refused(TWO_PROFILES.replace("ttl: 10m", "ttl: 48h"), ErrorCode.POLICY_INVALID)
                .hasMessageStartingWith("agent config a.yml: profiles.default.tokens[0]: ")
                .hasMessageContaining("ttl 48h is outside [1m, 24h]");
        refused(TWO_PROFILES.replace("ttl: 10m", "ttl: soon"), ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("agent config a.yml: profiles.default.tokens[0].ttl: is not a duration");
        refused("profiles: {default: {}}\n", ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("agent config a.yml: profiles.default.tokens: is required");
    }

    @Test
    void parseWhenProfilesAreMissingOrEmptyThenSettingInvalid() {
        refused("issuer: " + ISSUER + "\n", ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: profiles: is required: map at least one profile name to its tokens");
        refused("profiles: {}\n", ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: profiles: is required: map at least one profile name to its tokens");
        refused("", ErrorCode.SETTING_INVALID).hasMessageContaining("profiles: is required");
    }

    @Test
    void parseWhenTheDefaultProfileIsNotOneOfTheProfilesThenSettingInvalidNamingThem() {
        refused(TWO_PROFILES.replace("default_profile: aws", "default_profile: gcp"), ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: default_profile: 'gcp' is not one of the profiles (default, aws)");
    }

    @Test
    void parseWhenAProfileNameIsNotPlainThenSettingInvalidWithoutControlCharacters() {
        refused("profiles: {Default: {tokens: [{audiences: [a]}]}}\n", ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("agent config a.yml: profiles: profile name 'Default' must be");
        refused("profiles: {\"a\\u001bb\": {tokens: [{audiences: [a]}]}}\n", ErrorCode.SETTING_INVALID)
                .hasMessageContaining("profile name 'a?b'")
                .hasMessageNotContaining("\u001b");
    }

    @Test
    void parseWhenAValueHasTheWrongTypeThenSettingInvalidNotCoerced() {
        refused(TWO_PROFILES.replace("default_profile: aws", "default_profile: [aws]"), ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: default_profile: must be a string, not a list");
        refused("issuer: 7\nprofiles: {default: {tokens: [{audiences: [a]}]}}\n", ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: issuer: must be a string, not a whole number");
        refused("profiles: [default]\n", ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: profiles: must be a mapping, not a list");
        refused("[profiles]\n", ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: must be a mapping, not a list");
        refused(TWO_PROFILES.replace("default_profile: aws", "default_profile:"), ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: default_profile: has no value (leave the key out to use its default)");
    }

    @Test
    void parseWhenTheFilesIssuerIsNotAValidIssuerThenPolicyInvalidAtIssuer() {
        refused(TWO_PROFILES.replace("issuer: " + ISSUER, "issuer: " + ISSUER + "/"), ErrorCode.POLICY_INVALID)
                .hasMessageStartingWith("agent config a.yml: issuer: ")
                .hasMessageContaining("ends with '/'");
    }

    @Test
    void readWhenTheFileIsMissingNotYamlOrHasAKeyTwiceThenConfigUnreadable() {
        Path missing = dir.resolve("missing.yml");
        CiJwtException gone = assertThrows(CiJwtException.class, () -> AgentConfig.read(missing, null));
        assertThat(gone.code()).isEqualTo(ErrorCode.CONFIG_UNREADABLE);
        assertThat(gone).hasMessage("agent config " + missing + " does not exist");

        refused("profiles: {default: [unclosed\n", ErrorCode.CONFIG_UNREADABLE)
                .hasMessageStartingWith("agent config a.yml is not valid YAML or JSON at line ");
        refused(TWO_PROFILES + "default_profile: default\n", ErrorCode.CONFIG_UNREADABLE)
                .hasMessageEndingWith("(a key appears twice: default_profile)");
    }

    @Test
    void parseWhenVerificationBehaviorIsSetByTeamThenEachTeamHasItsBehaviorAndNoneWhenAbsent() throws Exception {
        AgentConfig config = parse(TWO_PROFILES + "verification_failure_behavior_by_team: {sandbox: warn, main: block}\n");

        assertThat(config.verificationByTeam()).containsOnly(entry("sandbox", ConfigVerifier.Behavior.WARN),
                entry("main", ConfigVerifier.Behavior.BLOCK));
        assertThat(parse(TWO_PROFILES).verificationByTeam()).isEmpty();
        assertThat(AgentConfig.defaults(ISSUER).verificationByTeam()).isEmpty();
    }

    @Test
    void parseWhenATeamsVerificationBehaviorIsNotBlockOrWarnThenSettingInvalidAtTheTeam() {
        refused(TWO_PROFILES + "verification_failure_behavior_by_team: {sandbox: ignore}\n", ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: verification_failure_behavior_by_team.sandbox: must be block or warn");
        refused(TWO_PROFILES + "verification_failure_behavior_by_team: {sandbox: Warn}\n", ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: verification_failure_behavior_by_team.sandbox: must be block or warn");
        refused(TWO_PROFILES + "verification_failure_behavior_by_team: {sandbox: true}\n", ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: verification_failure_behavior_by_team.sandbox: must be a string, not true or false");
        refused(TWO_PROFILES + "verification_failure_behavior_by_team: [sandbox]\n", ErrorCode.SETTING_INVALID)
                .hasMessage("agent config a.yml: verification_failure_behavior_by_team: must be a mapping, not a list");
    }

    @Test
    void readWhenTheFileIsJsonThenTheSameConfig() throws Exception {
        Path file = TestKeys.write(dir.resolve("agent.json"), """
                {"issuer": "%s", "profiles": {"default": {"tokens": [{"audiences": ["vault"], "ttl": "10m"}]}}}
                """.formatted(ISSUER), "rw-r--r--");

        AgentConfig config = AgentConfig.read(file, null);

        assertThat(config.defaultProfile()).isEqualTo(AgentConfig.DEFAULT_PROFILE);
        assertThat(config.profile(Optional.empty()).defaultToken().policy().ttl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.profile(Optional.empty()).issuer()).isEqualTo(ISSUER);
    }

    @Test
    void defaultsThenOneProfileNamedDefaultWithThePreflightDefaults() throws Exception {
        AgentConfig config = AgentConfig.defaults(ISSUER);

        assertThat(config.profiles()).containsOnlyKeys(AgentConfig.DEFAULT_PROFILE);
        assertThat(config.profile(Optional.empty()).defaultToken().policy().audiences())
                .containsExactly(TokenProfile.DEFAULT_AUDIENCE);
        assertThat(config.profile(Optional.empty()).issuer()).isEqualTo(ISSUER);
    }

    @Test
    void profileWhenAContainerAsksForOneTheOperatorDidNotDefineThenProfileUnknownListingTheDefinedOnes() throws Exception {
        AgentConfig config = parse(TWO_PROFILES);

        CiJwtException e = assertThrows(CiJwtException.class, () -> config.profile(Optional.of("gcp\u001b[2J")));

        assertThat(e.code()).isEqualTo(ErrorCode.PROFILE_UNKNOWN);
        assertThat(e).hasMessage("profile 'gcp?[2J' is not defined by the operator (defined: aws, default)");
    }
}
