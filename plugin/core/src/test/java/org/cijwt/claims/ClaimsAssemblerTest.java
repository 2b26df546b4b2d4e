package org.cijwt.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.testkit.TestBuilds;
import org.cijwt.testkit.TestPolicies;
import org.junit.jupiter.api.Test;

class ClaimsAssemblerTest {
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00.750Z");

    private static BuildMetadata sample() {
        return TestBuilds.main();
    }

    /** The test kit's policy (issuer, audience, ttl 10m) with the default algorithm, subject and skew. */
    private static ClaimsPolicy policy() {
        return TestPolicies.policy();
    }

    @Test
    void assembleWhenSampleBuildThenRegisteredAndBuildClaimsAreSet() throws Exception {
        JWTClaimsSet c = ClaimsAssembler.assemble(sample(), policy(), NOW, "jti-1").claims();
        assertThat(c.getIssuer()).isEqualTo(TestPolicies.ISSUER);
        assertThat(c.getSubject()).isEqualTo("main/deploy");
        assertThat(c.getAudience()).containsExactly("vault");
        assertThat(c.getJWTID()).isEqualTo("jti-1");
        assertThat(c.getIssueTime().toInstant()).isEqualTo(Instant.parse("2026-11-22T10:00:00Z"));
        assertThat(c.getExpirationTime().toInstant()).isEqualTo(Instant.parse("2026-11-22T10:10:00Z"));
        assertThat(c.getClaims()).containsEntry("team", "main").containsEntry("teamid", "1")
                .containsEntry("pipeline", "deploy").containsEntry("pipelineid", "7")
                .containsEntry("job", "apply").containsEntry("jobid", "42").containsEntry("task", "plan")
                .containsEntry("buildid", "1234").containsEntry("build_name", "17")
                .containsEntry("step_type", "task").containsEntry("worker", "worker-1")
                .containsEntry("instance_vars", Map.of("branch", "dev"));
    }

    @Test
    void assembleWhenDefaultSkewThenNbfIsBackdatedThirtySeconds() throws Exception {
        JWTClaimsSet c = ClaimsAssembler.assemble(sample(), policy(), NOW, "j").claims();
        assertThat(c.getNotBeforeTime().toInstant()).isEqualTo(Instant.parse("2026-11-22T09:59:30Z"));
    }

    @Test
    void assembleWhenIdsThenTheyAreJsonStrings() throws Exception {
        JWTClaimsSet c = ClaimsAssembler.assemble(sample(), policy(), NOW, "j").claims();
        assertThat(c.toString()).contains("\"teamid\":\"1\"").contains("\"buildid\":\"1234\"").contains("\"jobid\":\"42\"");
    }

    @Test
    void assembleWhenNoInstanceVarsOrOptionalFieldsThenTheirClaimsAreOmitted() throws Exception {
        BuildMetadata oneOff = TestBuilds.oneOff();
        ClaimsPolicy p = policy().toBuilder().subject(SubjectFormat.parse("team")).build();
        JWTClaimsSet c = ClaimsAssembler.assemble(oneOff, p, NOW, "j").claims();
        assertThat(c.getClaims()).doesNotContainKeys("instance_vars", "pipeline", "pipelineid", "job", "jobid", "worker");
    }

    @Test
    void assembleWhenExtraClaimsThenTheyAreAdded() throws Exception {
        ClaimsPolicy p = policy().toBuilder().extraClaim("environment", "prod").build();
        assertThat(ClaimsAssembler.assemble(sample(), p, NOW, "j").claims().getClaim("environment")).isEqualTo("prod");
    }

    @Test
    void buildWhenExtraClaimOverridesARegisteredOrBuildClaimThenRefused() {
        assertThatThrownBy(() -> policy().toBuilder().extraClaim("sub", "admin").build())
                .hasMessageContaining("extra claim 'sub' would override")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.POLICY_INVALID));
        assertThatThrownBy(() -> policy().toBuilder().extraClaim("team", "other").build())
                .hasMessageContaining("extra claim 'team' would override")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.POLICY_INVALID));
    }

    @Test
    void buildWhenTtlOutsideOneMinuteToOneDayThenRefusedNamingTheTtl() {
        assertThatThrownBy(() -> policy().toBuilder().ttl(Duration.ofSeconds(59)).build()).hasMessageContaining("ttl 59s is outside [1m, 24h]")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.POLICY_INVALID));
        assertThatThrownBy(() -> policy().toBuilder().ttl(Duration.ofHours(25)).build()).hasMessageContaining("ttl 25h is outside");
    }

    @Test
    void buildWhenNoTtlIsGivenThenTheTokenLivesOneHour() throws Exception {
        ClaimsPolicy p = ClaimsPolicy.builder().audience(TestPolicies.AUDIENCE).build();
        JWTClaimsSet c = ClaimsAssembler.assemble(sample(), p, NOW, "j").claims();
        assertThat(c.getExpirationTime().toInstant()).isEqualTo(Instant.parse("2026-11-22T11:00:00Z"));
    }

    @Test
    void buildWhenNoAudienceThenRefused() {
        assertThatThrownBy(() -> ClaimsPolicy.builder().build()).hasMessageContaining("at least one audience")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.POLICY_INVALID));
    }

    @Test
    void buildWhenSeveralAudiencesThenAllAreInTheToken() throws Exception {
        ClaimsPolicy p = policy().toBuilder().audience("sts.amazonaws.com").build();
        assertThat(ClaimsAssembler.assemble(sample(), p, NOW, "j").claims().getAudience()).containsExactly("vault", "sts.amazonaws.com");
    }

    @Test
    void assembleWhenSubOver127BytesThenAWarningNamesTheLength() throws Exception {
        BuildMetadata md = BuildMetadata.builder().team("t".repeat(60)).pipeline("p".repeat(70)).buildId("1").build();
        ClaimsAssembler.Assembled a = ClaimsAssembler.assemble(md, policy(), NOW, "j");
        assertThat(a.warnings()).singleElement().asString().contains("sub is 131 bytes");
        assertThat(ClaimsAssembler.assemble(sample(), policy(), NOW, "j").warnings()).isEmpty();
    }

    @Test
    void assembleWhenInstanceVarsAreTypedThenTheClaimKeepsTheTypesTheSubShows() throws Exception {
        BuildMetadata md = BuildMetadata.fromJson("{\"team\":\"main\",\"pipeline\":\"deploy\",\"buildid\":\"1\","
                + "\"instance_vars\":{\"branch\":1,\"name\":\"1\"}}", "m.json");
        ClaimsPolicy p = policy().toBuilder().subject(SubjectFormat.parse("instance")).build();
        JWTClaimsSet c = ClaimsAssembler.assemble(md, p, NOW, "j").claims();
        assertThat(c.toString()).contains("\"instance_vars\":{\"branch\":1,\"name\":\"1\"}");
        assertThat(c.getSubject()).isEqualTo("main/deploy/branch=1,name:1");
    }

    @Test
    void assembleWhenTheSubjectNeedsAFieldTheBuildLacksThenSubjectInvalid() throws Exception {
        BuildMetadata oneOff = TestBuilds.oneOff();
        ClaimsPolicy p = policy().toBuilder().subject(SubjectFormat.parse("job")).build();
        assertThatThrownBy(() -> ClaimsAssembler.assemble(oneOff, p, NOW, "j"))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.SUBJECT_INVALID));
    }

    private static ErrorCode code(Throwable e) {
        assertThat(e).isInstanceOf(CiJwtException.class);
        return ((CiJwtException) e).code();
    }

    @Test
    void validateIssuerWhenTrailingSlashQueryOrRelativeThenRefused() {
        assertThatThrownBy(() -> ClaimsPolicy.validateIssuer(TestPolicies.ISSUER + "/")).hasMessageContaining("ends with '/'")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.POLICY_INVALID));
        assertThatThrownBy(() -> ClaimsPolicy.validateIssuer(TestPolicies.ISSUER + "?x=1")).hasMessageContaining("query or fragment");
        assertThatThrownBy(() -> ClaimsPolicy.validateIssuer("ci.example.test")).hasMessageContaining("absolute http(s) URL");
    }
}
