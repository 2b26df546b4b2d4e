package org.cijwt.vault;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Clock;
import java.util.UUID;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.fixtures.launch.OpenBaoAdmin;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.testkit.TestBuilds;
import org.cijwt.testkit.TestKeyRings;
import org.cijwt.testkit.TestPolicies;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.vars.VarReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.vault.VaultContainer;

/**
 * The same login and KV v2 read against HashiCorp's own Vault image through Testcontainers; skipped,
 * with the reason, where no Docker engine is available (OpenBao covers the behaviour there).
 */
class HashiCorpVaultContainerIT {

    private static final DockerImageName IMAGE = DockerImageName.parse("hashicorp/vault:1.20.0");
    private static final String ISSUER = "http://ci-jwt.test";
    private static final String AUDIENCE = "ci-jwt-hashicorp-vault-it";

    private static VaultContainer<?> vault;
    private static String rootToken;

    @BeforeAll
    static void startVault() {
        Assumptions.assumeTrue(DockerClientFactory.instance().isDockerAvailable(),
                "no Docker engine available for Testcontainers, so " + IMAGE + " cannot start;"
                        + " VaultJwtVarSourceIT covers the same behaviour against OpenBao");
        rootToken = "it-root-" + UUID.randomUUID();
        vault = new VaultContainer<>(IMAGE).withVaultToken(rootToken);
        vault.start();
    }

    @AfterAll
    static void stopVault() {
        if (vault != null) {
            vault.stop();
        }
    }

    @Test
    void lookupWhenHashiCorpVaultTrustsOurKeyThenLoginAndKvV2ReadWork() throws Exception {
        RfcExampleVault.configure(new OpenBaoAdmin(URI.create(vault.getHttpHostAddress()), rootToken), ISSUER, AUDIENCE);
        VaultVarSourceConfig config = VaultVarSourceConfig.fromYaml("""
                name: hvjwt
                type: vault
                config:
                  url: %s
                  auth_path: /auth/concourse
                  auth_role: example
                  audience: %s
                """.formatted(vault.getHttpHostAddress(), AUDIENCE));
        BuildMetadata build = TestBuilds.useVars();

        try (VaultJwtVarSource source = new VaultJwtVarSource(Admit.own(config), new TokenMinter(TestKeyRings::signing, Clock.systemUTC()),
                TestPolicies.policy(ISSUER, "replaced-by-config", SigningAlgorithm.ES256), Clock.systemUTC())) {
            JsonNode secret = (JsonNode) source.lookup(VarReference.of("hvjwt", "some_secret"), build).orElseThrow();

            assertThat(secret.path("username").asText()).isEqualTo("hello-im-a-username");
        }
    }
}
