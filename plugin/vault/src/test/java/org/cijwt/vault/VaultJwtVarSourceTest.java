package org.cijwt.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.ErrorCode;
import org.cijwt.testkit.TestBuilds;
import org.cijwt.testkit.TestKeyRings;
import org.cijwt.testkit.TestPolicies;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.vars.VarReference;
import org.cijwt.vars.VarResolutionException;
import org.junit.jupiter.api.Test;

class VaultJwtVarSourceTest {

    private static final BuildMetadata USE_VARS = TestBuilds.useVars();

    private static VaultJwtVarSource source(String extraConfig) throws Exception {
        VaultVarSourceConfig config = VaultVarSourceConfig.fromYaml("""
                name: hvjwt
                type: vault
                config:
                  url: http://127.0.0.1:9
                  auth_path: /auth/concourse
                  auth_role: example
                  retry_max: 0
                """ + extraConfig);
        return new VaultJwtVarSource(Admit.own(config), new TokenMinter(TestKeyRings::signing, Clock.systemUTC()),
                TestPolicies.policy(), Clock.systemUTC());
    }

    // The <path_prefix>/<secret> fallback is gone (issue 9, L4): these lists end with the templates and shared_path.

    @Test
    void candidatePathsWhenDefaultsThenTheTemplatesInOrderAndNothingElse() throws Exception {
        assertThat(source("").candidatePaths("some_secret", USE_VARS)).containsExactly(
                "concourse/main/use-vars-pipeline/some_secret",
                "concourse/main/some_secret");
    }

    @Test
    void candidatePathsWhenSharedPathIsATemplateThenItComesAfterTheLookupTemplates() throws Exception {
        assertThat(source("  shared_path: /shared/{{.Pipeline}}/{{.Secret}}\n")
                .candidatePaths("secret with_spaces.etc", USE_VARS)).containsExactly(
                "concourse/main/use-vars-pipeline/secret with_spaces.etc",
                "concourse/main/secret with_spaces.etc",
                "concourse/shared/use-vars-pipeline/secret with_spaces.etc");
    }

    @Test
    void candidatePathsWhenSharedPathIsADirectoryThenTheSecretIsAppended() throws Exception {
        assertThat(source("  shared_path: shared\n").candidatePaths("x", USE_VARS))
                .endsWith("concourse/shared/x");
    }

    @Test
    void candidatePathsWhenOneOffBuildThenPipelineTemplatesAreSkipped() throws Exception {
        BuildMetadata oneOff = BuildMetadata.builder().team("main").buildId("9").build();

        assertThat(source("").candidatePaths("x", oneOff)).containsExactly("concourse/main/x");
    }

    @Test
    void candidatePathsWhenSecretNamesAnotherTeamsFolderThenEveryPathStaysBelowTheTeam() throws Exception {
        assertThat(source("").candidatePaths("victim/db", USE_VARS))
                .containsExactly("concourse/main/use-vars-pipeline/victim/db", "concourse/main/victim/db")
                .doesNotContain("concourse/victim/db");
    }

    @Test
    void candidatePathsWhenPipelineIsNamedLikeAPlaceholderThenTheNameStaysLiteral() throws Exception {
        BuildMetadata tricky = BuildMetadata.builder().team("main").pipeline("{{.Secret}}").buildId("1").build();

        assertThat(source("  shared_path: /shared/{{.Pipeline}}\n").candidatePaths("db", tricky)).containsExactly(
                "concourse/main/{{.Secret}}/db",
                "concourse/main/db",
                "concourse/shared/{{.Secret}}/db");
    }

    @Test
    void candidatePathsWhenTeamOrSecretLooksLikeAPlaceholderThenNothingIsExpandedTwice() throws Exception {
        BuildMetadata tricky = BuildMetadata.builder().team("{{.Pipeline}}").pipeline("p").buildId("1").build();

        assertThat(source("").candidatePaths("{{.Team}}", tricky)).containsExactly(
                "concourse/{{.Pipeline}}/p/{{.Team}}",
                "concourse/{{.Pipeline}}/{{.Team}}");
    }

    @Test
    void candidatePathsWhenSecretClimbsOutOfTheTeamThenRefused() throws Exception {
        VaultJwtVarSource source = source("");

        assertThatThrownBy(() -> source.candidatePaths("../other-team/secret", USE_VARS))
                .isInstanceOfSatisfying(VarResolutionException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.VAR_SYNTAX))
                .hasMessageContaining("'..'");
        assertThatThrownBy(() -> source.candidatePaths("a//b", USE_VARS)).hasMessageContaining("empty");
        BuildMetadata slashed = BuildMetadata.builder().team("main/../victim").buildId("1").build();
        assertThatThrownBy(() -> source.candidatePaths("x", slashed))
                .isInstanceOfSatisfying(VarResolutionException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.METADATA_INVALID))
                .hasMessageContaining("team name");
    }

    @Test
    void lookupWhenNothingListensThenAClearErrorAtOnce() throws Exception {
        VaultJwtVarSource source = source("");

        assertThatThrownBy(() -> source.lookup(VarReference.of("hvjwt", "some_secret"), USE_VARS))
                .isInstanceOfSatisfying(VarResolutionException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.VAULT_FAILED))
                .hasMessageContaining("cannot reach Vault at http://127.0.0.1:9 for login at auth/concourse/login")
                .hasMessageContaining("connection refused")
                .hasMessageContaining("1 attempt");
    }
}
