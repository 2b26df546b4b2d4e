package org.cijwt.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.AbstractThrowableAssert;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.fixtures.launch.OpenBaoAdmin;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.testkit.TestBuilds;
import org.cijwt.testkit.TestKeyRings;
import org.cijwt.testkit.TestPolicies;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.vars.Interpolator;
import org.cijwt.vars.VarReference;
import org.cijwt.vars.VarResolutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The var source against a real OpenBao dev server whose JWT auth at {@code auth/concourse} trusts
 * the public half of the committed TEST ES256 signing key ({@code jwt_validation_pubkeys}), so these
 * tests do not need the web endpoint.
 */
class VaultJwtVarSourceIT {

    private static final String ISSUER = "http://ci-jwt.test";
    private static final String AUDIENCE = "ci-jwt-vault-it";
    private static final String OTHER_PIPELINE = "other-pipeline";
    /** The token policy the var source starts from; its audience is replaced by the config's. */
    private static final ClaimsPolicy POLICY = TestPolicies.policy(ISSUER, "replaced-by-config", SigningAlgorithm.ES256);

    private static final KeyRing RING = TestKeyRings.signing();
    private static final BuildMetadata USE_VARS = TestBuilds.useVars();

    private static OpenBaoServer bao;
    private static BuildMetadata otherPipeline;

    @BeforeAll
    static void startOpenBao() throws Exception {
        Assume.openBao();
        bao = OpenBaoServer.start();
        otherPipeline = BuildMetadata.builder().team("main").pipeline(OTHER_PIPELINE).job("j").buildId("3001").build();
        configure(bao);

        OpenBaoAdmin admin = new OpenBaoAdmin(bao.address(), bao.rootToken());
        admin.mountKv("concourse-v1", 1);
        admin.writePolicy("use-vars-v1", "path \"concourse-v1/main/use-vars-pipeline/*\" { capabilities = [\"read\"] }\n"
                + "path \"concourse-v1/main/+\" { capabilities = [\"read\"] }\n");
        admin.writeRole("concourse", new OpenBaoAdmin.JwtRole("example-v1", AUDIENCE,
                Map.of("team", "main", "pipeline", "use-vars-pipeline"), List.of("use-vars-v1"), Duration.ofMinutes(5)));
        admin.writeSecret("concourse-v1", 1, "main/use-vars-pipeline/v1_secret", Map.of("username", "v1-user"));
        admin.writeSecret("concourse-v1", 1, "main/v1_team", Map.of("value", "v1-team-value"));

        admin.writeSecret("concourse", 2, "main/team_only", Map.of("value", "team-level"));
        admin.writeSecret("concourse", 2, "main/use-vars-pipeline/both", Map.of("value", "from-pipeline"));
        admin.writeSecret("concourse", 2, "main/both", Map.of("value", "from-team"));
        admin.writeSecret("concourse", 2, "shared/use-vars-pipeline/shared_one", Map.of("value", "shared-value"));
        admin.writeSecret("concourse", 2, "main/" + OTHER_PIPELINE + "/theirs", Map.of("value", "other-value"));

        admin.writePolicy(OTHER_PIPELINE, OpenBaoAdmin.teamPipelinePolicy("concourse", "main", OTHER_PIPELINE));
        admin.writeRole("concourse", new OpenBaoAdmin.JwtRole("other", AUDIENCE,
                Map.of("team", "main", "pipeline", OTHER_PIPELINE), List.of(OTHER_PIPELINE), Duration.ofMinutes(5)));

        // A role whose policy is wider than one team's folder, so that only the lookup paths decide (L4).
        admin.writePolicy("wide", "path \"concourse/data/*\" { capabilities = [\"read\"] }\n");
        admin.writeRole("concourse", new OpenBaoAdmin.JwtRole("wide", AUDIENCE, Map.of("team", "main"),
                List.of("wide"), Duration.ofMinutes(5)));
        admin.writeSecret("concourse", 2, "victim/db", Map.of("value", "victim-team-value"));
        admin.writeSecret("concourse", 2, "main/db/db", Map.of("value", "pipeline-db-value"));
    }

    /** The RFC example's Vault ({@link RfcExampleVault#configure}) plus its second secret, the quoted name with spaces. */
    static void configure(OpenBaoServer server) throws Exception {
        OpenBaoAdmin admin = new OpenBaoAdmin(server.address(), server.rootToken());
        RfcExampleVault.configure(admin, ISSUER, AUDIENCE);
        admin.writeSecret("concourse", 2, "main/secret with_spaces.etc", Map.of("some_key", "some-value"));
    }

    @AfterAll
    static void stopOpenBao() {
        if (bao != null) {
            bao.stop();
        }
    }

    private static VaultVarSourceConfig config(OpenBaoServer server, String extra) throws Exception {
        return VaultVarSourceConfig.fromYaml(RfcExampleVault.entry(server.address().toString())
                + "  audience: " + AUDIENCE + "\n  retry_initial: 50ms\n" + extra);
    }

    private static VaultJwtVarSource source(VaultVarSourceConfig config, Clock mintClock, Clock cacheClock)
            throws Exception {
        return new VaultJwtVarSource(Admit.own(config), new TokenMinter(() -> RING, mintClock), POLICY, cacheClock);
    }

    private static VaultJwtVarSource source(String extra) throws Exception {
        return source(config(bao, extra), Clock.systemUTC(), Clock.systemUTC());
    }

    private static JsonNode lookup(VaultJwtVarSource source, String path, BuildMetadata build) throws Exception {
        Optional<Object> found = source.lookup(VarReference.of("hvjwt", path), build);
        assertThat(found).isPresent();
        return (JsonNode) found.get();
    }

    /** Asserts that looking {@code secret} up for {@code build} fails with {@code code}; returns the failure for more checks. */
    private static AbstractThrowableAssert<?, ? extends Throwable> refused(VaultJwtVarSource source, String secret,
            BuildMetadata build, ErrorCode code) {
        return assertThatThrownBy(() -> source.lookup(VarReference.of("hvjwt", secret), build))
                .isInstanceOfSatisfying(VarResolutionException.class, e -> assertThat(e.code()).isEqualTo(code));
    }

    @Test
    void interpolateWhenRfcTaskConfigThenBothReferencesResolveThroughLoginAndKvV2() throws Exception {
        try (VaultJwtVarSource source = source("")) {
            Interpolator interpolator = Interpolator.builder().source(source).build();
            String task = """
                    run:
                      path: sh
                      args:
                      - -exc
                      - |
                        test "((hvjwt:some_secret.username))" = "hello-im-a-username"
                        test "((hvjwt:"secret with_spaces.etc".some_key))" = "some-value"
                    """;

            String interpolated = interpolator.interpolate(task, USE_VARS);

            assertThat(interpolated)
                    .contains("test \"hello-im-a-username\" = \"hello-im-a-username\"")
                    .contains("test \"some-value\" = \"some-value\"")
                    .doesNotContain("((");
            assertThat(source.loginCount()).isEqualTo(1);
        }
    }

    @Test
    void lookupWhenQuotedNameWithSpacesAndDotsThenTheTeamTemplateFindsIt() throws Exception {
        try (VaultJwtVarSource source = source("")) {
            JsonNode secret = lookup(source, "secret with_spaces.etc", USE_VARS);

            assertThat(secret.path("some_key").asText()).isEqualTo("some-value");
        }
    }

    @Test
    void lookupWhenSecretAtPipelineAndTeamLevelThenThePipelineTemplateWins() throws Exception {
        try (VaultJwtVarSource source = source("")) {
            assertThat(lookup(source, "both", USE_VARS).asText()).isEqualTo("from-pipeline");
            assertThat(lookup(source, "team_only", USE_VARS).asText()).isEqualTo("team-level");
            assertThat(lookup(source, "shared_one", USE_VARS).asText()).isEqualTo("shared-value");
        }
    }

    @Test
    void lookupWhenKvVersion1MountThenReadsItAndAppliesTheValueKey() throws Exception {
        VaultVarSourceConfig config = config(bao, "").withAudience(AUDIENCE);
        VaultVarSourceConfig v1 = VaultVarSourceConfig.fromYaml("""
                name: hvjwt
                type: vault
                config:
                  url: %s
                  path_prefix: /concourse-v1
                  auth_path: concourse
                  auth_role: example-v1
                  audience: %s
                """.formatted(config.address(), AUDIENCE));
        try (VaultJwtVarSource source = source(v1, Clock.systemUTC(), Clock.systemUTC())) {
            assertThat(lookup(source, "v1_secret", USE_VARS).path("username").asText()).isEqualTo("v1-user");
            assertThat(lookup(source, "v1_team", USE_VARS).asText()).isEqualTo("v1-team-value");
        }
    }

    @Test
    void lookupWhenSecretIsMissingThenTheErrorNamesEveryPathTried() throws Exception {
        // Before issue 9 (L4) a fourth path, concourse/nope, was tried and denied; there is no such fallback now.
        try (VaultJwtVarSource source = source("")) {
            refused(source, "nope", USE_VARS, ErrorCode.VAULT_SECRET_NOT_FOUND)
                    .hasMessage("secret 'nope' not found in Vault at " + bao.address() + "; tried"
                            + " concourse/main/use-vars-pipeline/nope, concourse/main/nope,"
                            + " concourse/shared/use-vars-pipeline/nope (role 'example')");
        }
    }

    @Test
    void lookupWhenSecretNamesAnotherTeamsFolderThenNoPathOutsideTheTeamIsTriedEvenUnderAWidePolicy() throws Exception {
        try (VaultJwtVarSource source = source(config(bao, "").withAuthRole("wide"), Clock.systemUTC(),
                Clock.systemUTC())) {
            refused(source, "victim/db", USE_VARS, ErrorCode.VAULT_SECRET_NOT_FOUND)
                    .hasMessage("secret 'victim/db' not found in Vault at " + bao.address() + "; tried"
                            + " concourse/main/use-vars-pipeline/victim/db, concourse/main/victim/db,"
                            + " concourse/shared/use-vars-pipeline/victim/db (role 'wide')")
                    .hasMessageNotContaining("victim-team-value");
            // The same role does read below its own team, so the refusal above is the lookup paths' doing.
            assertThat(lookup(source, "team_only", USE_VARS).asText()).isEqualTo("team-level");
        }
    }

    @Test
    void lookupWhenPipelineIsNamedLikeAPlaceholderThenItsNameIsNotExpandedIntoAnotherPipelinesPath() throws Exception {
        BuildMetadata tricky = BuildMetadata.builder().team("main").pipeline("{{.Secret}}").job("j").buildId("3002")
                .build();
        try (VaultJwtVarSource source = source(config(bao, "").withAuthRole("wide"), Clock.systemUTC(),
                Clock.systemUTC())) {
            refused(source, "db", tricky, ErrorCode.VAULT_SECRET_NOT_FOUND)
                    .hasMessageContaining("tried concourse/main/{{.Secret}}/db, concourse/main/db,"
                            + " concourse/shared/{{.Secret}}/db")
                    .hasMessageNotContaining("pipeline-db-value");
        }
    }

    @Test
    void lookupWhenPipelineWritesATemplateIntoAnotherTeamsFolderThenVaultsPolicyIsTheBoundary() throws Exception {
        VaultVarSourceConfig ownTemplate = VaultVarSourceConfig.fromYaml("""
                name: hvjwt
                type: vault
                config:
                  url: %s
                  auth_path: concourse
                  auth_role: example
                  audience: %s
                  lookup_templates: ["/victim/{{.Secret}}"]
                """.formatted(bao.address(), AUDIENCE));
        try (VaultJwtVarSource source = source(ownTemplate, Clock.systemUTC(), Clock.systemUTC())) {
            refused(source, "db", USE_VARS, ErrorCode.VAULT_SECRET_NOT_FOUND)
                    .hasMessageContaining("denied reading 'concourse/data/victim/db' (permission denied)")
                    .hasMessageNotContaining("victim-team-value");
        }
    }

    @Test
    void lookupWhenSecretIsMissingEverywhereThePolicyAllowsThenTheErrorNamesEveryPathTried() throws Exception {
        VaultVarSourceConfig withoutPrefixLevel = VaultVarSourceConfig.fromYaml("""
                name: hvjwt
                type: vault
                config:
                  url: %s
                  auth_path: concourse
                  auth_role: example
                  audience: %s
                  path_prefix: /concourse/main
                  lookup_templates: ["/{{.Pipeline}}/{{.Secret}}"]
                """.formatted(bao.address(), AUDIENCE));
        try (VaultJwtVarSource source = source(withoutPrefixLevel, Clock.systemUTC(), Clock.systemUTC())) {
            refused(source, "nope", USE_VARS, ErrorCode.VAULT_SECRET_NOT_FOUND)
                    .hasMessageContaining("secret 'nope' not found in Vault at " + bao.address()
                            + "; tried concourse/main/use-vars-pipeline/nope (role 'example')");
        }
    }

    @Test
    void loginWhenTokenOfAnotherPipelineThenBoundClaimsRefuseItWithOpenBaosReason() throws Exception {
        try (VaultJwtVarSource source = source("")) {
            refused(source, "some_secret", otherPipeline, ErrorCode.VAULT_LOGIN_REFUSED)
                    .hasMessageContaining("Vault refused the login at auth/concourse/login for role 'example'")
                    .hasMessageContaining("pipeline " + OTHER_PIPELINE)
                    .hasMessageContaining("claim \"pipeline\"")
                    .hasMessageNotContaining("eyJ");
        }
    }

    @Test
    void lookupWhenAnotherPipelineLogsInWithItsOwnRoleThenItCannotReadThisPipelinesSecrets() throws Exception {
        try (VaultJwtVarSource ownRole = source(config(bao, "").withAuthRole("other"), Clock.systemUTC(),
                Clock.systemUTC())) {
            assertThat(lookup(ownRole, "theirs", otherPipeline).asText()).isEqualTo("other-value");

            // Through the team template, "use-vars-pipeline/some_secret" names this pipeline's secret.
            refused(ownRole, "use-vars-pipeline/some_secret", otherPipeline, ErrorCode.VAULT_SECRET_NOT_FOUND)
                    .hasMessageContaining("denied reading 'concourse/data/main/use-vars-pipeline/some_secret'"
                            + " (permission denied)")
                    .hasMessageContaining("role 'other'")
                    .hasMessageNotContaining("hello-im-a-username");
        }
    }

    @Test
    void loginWhenTokenExpiredThenRefusedWithOpenBaosReason() throws Exception {
        MutableClock past = new MutableClock(Instant.now().minus(Duration.ofHours(2)));
        try (VaultJwtVarSource source = source(config(bao, ""), past, Clock.systemUTC())) {
            refused(source, "some_secret", USE_VARS, ErrorCode.VAULT_LOGIN_REFUSED)
                    .hasMessageContaining("Vault refused the login at auth/concourse/login for role 'example'")
                    .hasMessageContaining("expired")
                    .hasMessageNotContaining("eyJ");
        }
    }

    @Test
    void loginWhenAudienceIsWrongThenRefusedWithOpenBaosReason() throws Exception {
        try (VaultJwtVarSource source = source(config(bao, "").withAudience("https://someone-else.example"),
                Clock.systemUTC(), Clock.systemUTC())) {
            refused(source, "some_secret", USE_VARS, ErrorCode.VAULT_LOGIN_REFUSED)
                    .hasMessageContaining("Vault refused the login at auth/concourse/login for role 'example'")
                    .hasMessageContaining("aud")
                    .hasMessageNotContaining("eyJ");
        }
    }

    @Test
    void lookupWhenVaultTokenIsDueThenLogsInAgainAndOtherwiseReusesIt() throws Exception {
        MutableClock cacheClock = new MutableClock(Instant.now());
        try (VaultJwtVarSource source = source(config(bao, ""), Clock.systemUTC(), cacheClock)) {
            lookup(source, "some_secret", USE_VARS);
            lookup(source, "team_only", USE_VARS);
            assertThat(source.loginCount()).isEqualTo(1);

            cacheClock.advance(Duration.ofMinutes(5));
            assertThat(lookup(source, "some_secret", USE_VARS).path("username").asText()).isEqualTo("hello-im-a-username");

            assertThat(source.loginCount()).isEqualTo(2);
        }
    }

    @Test
    void lookupWhenOpenBaoStopsMidRunThenAClearErrorQuicklyNotAHang() throws Exception {
        OpenBaoServer own = OpenBaoServer.start();
        try {
            configure(own);
            try (VaultJwtVarSource source = source(config(own, "  retry_max: 2\n  connect_timeout: 2s\n"),
                    Clock.systemUTC(), Clock.systemUTC())) {
                assertThat(lookup(source, "some_secret", USE_VARS).path("username").asText())
                        .isEqualTo("hello-im-a-username");

                own.stop();

                // A bound on the whole call, so a regression shows as a failure rather than a stuck build.
                assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                    refused(source, "secret with_spaces.etc", USE_VARS, ErrorCode.VAULT_FAILED)
                            .hasMessageContaining("cannot reach Vault at " + own.address())
                            .hasMessageContaining("connection refused")
                            .hasMessageContaining("3 attempts");
                    BuildMetadata next = BuildMetadata.builder().team("main").pipeline("use-vars-pipeline")
                            .buildId("2002").build();
                    assertThatThrownBy(() -> source.lookup(VarReference.of("hvjwt", "some_secret"), next))
                            .hasMessageContaining("for login at auth/concourse/login")
                            .hasMessageContaining("connection refused");
                });
            }
        } finally {
            own.stop();
        }
    }

    @Test
    void forgetWhenBuildIsDoneThenItsVaultTokenIsRevoked() throws Exception {
        try (VaultJwtVarSource source = source("")) {
            lookup(source, "some_secret", USE_VARS);

            source.forget(USE_VARS);
            lookup(source, "some_secret", USE_VARS);

            assertThat(source.loginCount()).isEqualTo(2);
        }
    }
}
