package org.cijwt.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.cijwt.errors.CiJwtException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class VaultVarSourceConfigTest {

    private static final String RFC_ENTRY = """
            name: hvjwt
            type: vault
            config:
              url: https://vault.example.com
              path_prefix: "/concourse"
              lookup_templates: ["/{{.Team}}/{{.Pipeline}}/{{.Secret}}", "/{{.Team}}/{{.Secret}}"]
              shared_path: "/shared/{{.Pipeline}}/{{.Secret}}"
              namespace: "/root"
              auth_path: "/auth/concourse"
              auth_type: "jwt"
              auth_role: "example"
            """;

    @ParameterizedTest(name = "''{0}'' -> ''{1}''")
    @CsvSource(value = {
            "/auth/concourse|concourse",
            "auth/concourse|concourse",
            "concourse|concourse",
            "/concourse/|concourse",
            "///auth/concourse/login/|concourse",
            "auth/concourse/login|concourse",
            "/auth/jwt/login|jwt",
            "auth//team//concourse|team/concourse",
            "/auth/team/concourse/login|team/concourse",
            "concourse//login|concourse",
            "authentik|authentik",
            "jwt/mylogin|jwt/mylogin",
            "auth|''",
            "/auth/login|''",
    }, delimiter = '|')
    void normalizeAuthPathWhenWrittenAsTheRfcAllowsThenOnlyTheMountPathRemains(String given, String expected) {
        assertThat(VaultVarSourceConfig.normalizeAuthPath(given)).isEqualTo(expected);
    }

    @Test
    void fromYamlWhenRfcExampleThenEveryKeyIsRead() throws Exception {
        VaultVarSourceConfig config = VaultVarSourceConfig.fromYaml(RFC_ENTRY);

        assertThat(config.name()).isEqualTo("hvjwt");
        assertThat(config.url()).isEqualTo(URI.create("https://vault.example.com"));
        assertThat(config.pathPrefix()).isEqualTo("/concourse");
        assertThat(config.lookupTemplates()).containsExactly("/{{.Team}}/{{.Pipeline}}/{{.Secret}}", "/{{.Team}}/{{.Secret}}");
        assertThat(config.sharedPath()).contains("/shared/{{.Pipeline}}/{{.Secret}}");
        assertThat(config.namespace()).contains("/root");
        assertThat(config.authPath()).isEqualTo("concourse");
        assertThat(config.loginPath()).isEqualTo("auth/concourse/login");
        assertThat(config.authType()).isEqualTo("jwt");
        assertThat(config.authRole()).isEqualTo("example");
        assertThat(config.audience()).isEqualTo("https://vault.example.com");
        assertThat(config.tls()).isEqualTo(VaultVarSourceConfig.Tls.DEFAULT);
        assertThat(config.retryMax()).isEqualTo(VaultVarSourceConfig.DEFAULT_RETRY_MAX);
    }

    @Test
    void fromYamlWhenOnlyRequiredKeysThenDefaultsApply() throws Exception {
        VaultVarSourceConfig config = VaultVarSourceConfig.fromYaml("""
                name: v
                type: vault
                config: {url: "http://127.0.0.1:8200/", auth_role: r}
                """);

        assertThat(config.pathPrefix()).isEqualTo("/concourse");
        assertThat(config.lookupTemplates()).isEqualTo(VaultVarSourceConfig.DEFAULT_LOOKUP_TEMPLATES);
        assertThat(config.sharedPath()).isEmpty();
        assertThat(config.namespace()).isEmpty();
        assertThat(config.authPath()).isEqualTo("jwt");
        assertThat(config.audience()).isEqualTo("http://127.0.0.1:8200");
        assertThat(config.address()).isEqualTo("http://127.0.0.1:8200");
        assertThat(config.tokenTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.connectTimeout()).isEqualTo(VaultVarSourceConfig.DEFAULT_CONNECT_TIMEOUT);
    }

    @Test
    void fromYamlWhenTimeoutsRetriesAndAudienceGivenThenTheyAreRead() throws Exception {
        VaultVarSourceConfig config = VaultVarSourceConfig.fromYaml("""
                name: v
                type: vault
                config:
                  url: http://127.0.0.1:8200
                  auth_role: r
                  audience: ci-jwt-vault
                  token_ttl: 2m
                  connect_timeout: 500ms
                  login_timeout: 3s
                  query_timeout: 1m30s
                  retry_max: 0
                  retry_initial: 100ms
                  path_prefix: secret//ci/
                """);

        assertThat(config.audience()).isEqualTo("ci-jwt-vault");
        assertThat(config.tokenTtl()).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.loginTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.queryTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.retryMax()).isZero();
        assertThat(config.retryInitial()).isEqualTo(Duration.ofMillis(100));
        assertThat(config.pathPrefix()).isEqualTo("/secret/ci");
    }

    @Test
    void fromYamlWhenConfigHasUnknownKeyThenTheErrorNamesIt() {
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY + "  auth_params: {role: example}\n"))
                .isInstanceOf(CiJwtException.class)
                .hasMessageContaining("var source 'hvjwt' config: unknown key 'auth_params'");
    }

    @Test
    void fromYamlWhenEntryHasUnknownKeyThenTheErrorNamesIt() {
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY + "extra: 1\n"))
                .hasMessageContaining("unknown key 'extra'");
    }

    @Test
    void fromYamlWhenAuthTypeIsNotJwtThenRefused() {
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY.replace("auth_type: \"jwt\"", "auth_type: approle")))
                .hasMessageContaining("auth_type 'approle' is not supported (only jwt)");
    }

    @Test
    void fromYamlWhenRequiredKeyMissingThenTheErrorNamesIt() {
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY.replace("  auth_role: \"example\"\n", "")))
                .hasMessageContaining("var source 'hvjwt': auth_role is required");
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY.replace("  url: https://vault.example.com\n", "")))
                .hasMessageContaining("url is required");
    }

    @Test
    void fromYamlWhenValuesAreWrongThenEachErrorNamesTheSetting() {
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY.replace("https://vault.example.com", "vault:8200")))
                .hasMessageContaining("url 'vault:8200' must be an absolute http(s) URL");
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY + "  query_timeout: soon\n"))
                .hasMessageContaining("query_timeout 'soon' is not a duration");
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY + "  retry_max: 99\n"))
                .hasMessageContaining("retry_max must be a whole number from 0 to 10");
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY + "  lookup_templates: [\"/{{.Team}}/x\"]\n"))
                .hasMessageContaining("must contain {{.Secret}}");
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY.replace("{{.Pipeline}}/{{.Secret}}\", \"/",
                "{{.Job}}/{{.Secret}}\", \"/")))
                .hasMessageContaining("unknown placeholder {{.Job}}");
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY + "  client_cert: \"-----BEGIN CERTIFICATE-----\"\n"))
                .hasMessageContaining("client_cert and client_key must be given together");
        assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(RFC_ENTRY.replace("auth_path: \"/auth/concourse\"",
                "auth_path: \"/auth/login\"")))
                .hasMessageContaining("auth_path is empty once normalised");
    }

    @Test
    void fromPipelineYamlWhenSeveralSourcesThenOnlyVaultEntriesAreRead() throws Exception {
        String pipeline = "var_sources:\n- name: other\n  type: dummy\n  config: {vars: {a: b}}\n- "
                + RFC_ENTRY.replace("\n", "\n  ").stripTrailing() + "\njobs: []\n";

        List<VaultVarSourceConfig> configs = VaultVarSourceConfig.fromPipelineYaml(pipeline);

        assertThat(configs).extracting(VaultVarSourceConfig::name).containsExactly("hvjwt");
    }

    @Test
    void tlsToStringWhenClientKeyGivenThenTheKeyIsRedacted() {
        VaultVarSourceConfig.Tls tls = new VaultVarSourceConfig.Tls(Optional.empty(), Optional.of("CERT"),
                Optional.of("-----BEGIN PRIVATE KEY-----secret"), false);

        assertThat(tls.toString()).contains("<redacted>").doesNotContain("secret");
    }

    @Test
    void parseDurationWhenGoStyleThenRead() {
        assertThat(VaultVarSourceConfig.parseDuration("1h2m3s4ms")).contains(Duration.parse("PT1H2M3.004S"));
        assertThat(VaultVarSourceConfig.parseDuration("5")).isEmpty();
        assertThat(VaultVarSourceConfig.parseDuration("5s ago")).isEmpty();
    }
}
