package org.cijwt.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.util.Set;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.EphemeralKeySource;
import org.cijwt.keys.KeyRing;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.vars.VarReference;
import org.cijwt.vars.VarResolutionException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class VaultJwtVarSourceTest {

    private static KeyRing ring;
    private static BuildMetadata useVars;

    @BeforeAll
    static void keys() throws Exception {
        ring = new EphemeralKeySource(Set.of(SigningAlgorithm.ES256)).load();
        useVars = BuildMetadata.fromJson(TestKeys.metadata("use-vars"), "use-vars");
    }

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
        return new VaultJwtVarSource(config, new TokenMinter(() -> ring, Clock.systemUTC()),
                ClaimsPolicy.builder().audience("replaced").build(), Clock.systemUTC());
    }

    @Test
    void candidatePathsWhenDefaultsThenTemplatesInOrderThenThePrefix() throws Exception {
        assertThat(source("").candidatePaths("some_secret", useVars)).containsExactly(
                "concourse/main/use-vars-pipeline/some_secret",
                "concourse/main/some_secret",
                "concourse/some_secret");
    }

    @Test
    void candidatePathsWhenSharedPathIsATemplateThenItComesAfterTheLookupTemplates() throws Exception {
        assertThat(source("  shared_path: /shared/{{.Pipeline}}/{{.Secret}}\n")
                .candidatePaths("secret with_spaces.etc", useVars)).containsExactly(
                "concourse/main/use-vars-pipeline/secret with_spaces.etc",
                "concourse/main/secret with_spaces.etc",
                "concourse/shared/use-vars-pipeline/secret with_spaces.etc",
                "concourse/secret with_spaces.etc");
    }

    @Test
    void candidatePathsWhenSharedPathIsADirectoryThenTheSecretIsAppended() throws Exception {
        assertThat(source("  shared_path: shared\n").candidatePaths("x", useVars))
                .containsSubsequence("concourse/shared/x", "concourse/x");
    }

    @Test
    void candidatePathsWhenOneOffBuildThenPipelineTemplatesAreSkipped() throws Exception {
        BuildMetadata oneOff = BuildMetadata.builder().team("main").buildId("9").build();

        assertThat(source("").candidatePaths("x", oneOff)).containsExactly("concourse/main/x", "concourse/x");
    }

    @Test
    void candidatePathsWhenSecretClimbsOutOfTheTeamThenRefused() throws Exception {
        VaultJwtVarSource source = source("");

        assertThatThrownBy(() -> source.candidatePaths("../other-team/secret", useVars))
                .isInstanceOf(VarResolutionException.class)
                .hasMessageContaining("'..'");
        assertThatThrownBy(() -> source.candidatePaths("a//b", useVars)).hasMessageContaining("empty");
    }

    @Test
    void lookupWhenNothingListensThenAClearErrorAtOnce() throws Exception {
        VaultJwtVarSource source = source("");

        assertThatThrownBy(() -> source.lookup(VarReference.of("hvjwt", "some_secret"), useVars))
                .isInstanceOfSatisfying(VarResolutionException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.VAULT_FAILED))
                .hasMessageContaining("cannot reach Vault at http://127.0.0.1:9 for login at auth/concourse/login")
                .hasMessageContaining("connection refused")
                .hasMessageContaining("1 attempt");
    }

    @Test
    void constructorWhenCaCertIsNotACertificateThenFailsAtStartNamingTheTlsSettings() throws Exception {
        VaultVarSourceConfig config = VaultVarSourceConfig.fromYaml("""
                name: hvjwt
                type: vault
                config:
                  url: https://127.0.0.1:9
                  auth_role: example
                  ca_cert: |
                    -----BEGIN CERTIFICATE-----
                    bm90IGEgY2VydGlmaWNhdGU=
                    -----END CERTIFICATE-----
                """);

        assertThatThrownBy(() -> new VaultJwtVarSource(config, new TokenMinter(() -> ring, Clock.systemUTC()),
                ClaimsPolicy.builder().audience("x").build(), Clock.systemUTC()))
                .isInstanceOf(VarResolutionException.class)
                .hasMessageContaining("TLS settings (ca_cert, client_cert, client_key) cannot be used");
    }

    @Test
    void encodePathWhenSegmentsHoldSpacesAndDotsThenEachIsEncodedAndSlashesStay() {
        assertThat(VaultHttp.encodePath("concourse/data/main/secret with_spaces.etc"))
                .isEqualTo("concourse/data/main/secret%20with_spaces.etc");
        assertThat(VaultHttp.encodePath("a/b?c#d%e")).isEqualTo("a/b%3Fc%23d%25e");
    }
}
