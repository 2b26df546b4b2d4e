package org.cijwt.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.testkit.TestPolicies;
import org.cijwt.vault.client.TlsMaterial;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VaultVarSourceConfigTest {

    private static final String RFC_ENTRY = RfcExampleVault.entry("https://vault.example.com");

    private static TestPki.Issued ca;
    private static TestPki.Issued client;
    private static TestPki.Issued otherClient;

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestPki.ca("pipeline CA");
        client = TestPki.client(ca, "pipeline-client");
        otherClient = TestPki.client(ca, "other-client");
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(String yaml, ErrorCode code) {
        return assertThatThrownBy(() -> VaultVarSourceConfig.fromYaml(yaml))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(code));
    }

    /** A YAML block scalar holding {@code pem}, for a key of the config map. */
    private static String block(String key, String pem) {
        return "  " + key + ": |\n" + pem.indent(4);
    }

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
        assertThat(config.lookupTemplates()).extracting(LookupTemplate::text)
                .containsExactly("/{{.Team}}/{{.Pipeline}}/{{.Secret}}", "/{{.Team}}/{{.Secret}}");
        assertThat(config.sharedPath().map(LookupTemplate::text)).contains("/shared/{{.Pipeline}}/{{.Secret}}");
        assertThat(config.namespace()).contains("/root");
        assertThat(config.authPath()).isEqualTo("concourse");
        assertThat(config.loginPath()).isEqualTo("auth/concourse/login");
        assertThat(config.qualifiedAuthPath()).isEqualTo("concourse");
        assertThat(config.authType()).isEqualTo("jwt");
        assertThat(config.authRole()).isEqualTo("example");
        assertThat(config.audience()).isEqualTo("https://vault.example.com");
        assertThat(config.tls()).isEqualTo(TlsMaterial.NONE);
        assertThat(config.retryMax()).isEqualTo(VaultVarSourceConfig.DEFAULT_RETRY_MAX);
        assertThat(config.origin()).isEqualTo("var_source");
    }

    @Test
    void fromYamlWhenOnlyRequiredKeysThenDefaultsApply() throws Exception {
        VaultVarSourceConfig config = VaultVarSourceConfig.fromYaml("""
                name: v
                type: vault
                config: {url: "http://127.0.0.1:8200/", auth_role: r}
                """);

        assertThat(config.pathPrefix()).isEqualTo("/concourse");
        assertThat(config.lookupTemplates()).extracting(LookupTemplate::text)
                .isEqualTo(VaultVarSourceConfig.DEFAULT_LOOKUP_TEMPLATES);
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
    void fromYamlWhenConfigHasUnknownKeyThenTheErrorNamesItsPath() {
        refused(RFC_ENTRY + "  auth_params: {role: example}\n", ErrorCode.CONFIG_UNKNOWN_KEY)
                .hasMessageStartingWith("var_source.config: unknown key 'auth_params' (known keys: url, ")
                .hasMessageContaining("auth_role");
    }

    @Test
    void fromYamlWhenEntryHasUnknownKeyThenTheErrorNamesItsPath() {
        refused(RFC_ENTRY + "extra: 1\n", ErrorCode.CONFIG_UNKNOWN_KEY)
                .hasMessage("var_source: unknown key 'extra' (known keys: name, type, config)");
    }

    @Test
    void fromYamlWhenSkipVerifyIsAskedForThenItIsAnUnknownKeyAsItNeverTookEffect() {
        refused(RFC_ENTRY + "  insecure_skip_verify: true\n", ErrorCode.CONFIG_UNKNOWN_KEY)
                .hasMessageStartingWith("var_source.config: unknown key 'insecure_skip_verify'");
    }

    @Test
    void fromYamlWhenAuthTypeIsNotJwtThenRefused() {
        refused(RFC_ENTRY.replace("auth_type: \"jwt\"", "auth_type: approle"), ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.auth_type: must be jwt, the only auth type this source supports");
    }

    @Test
    void fromYamlWhenRequiredKeyMissingThenTheErrorNamesItsPath() {
        refused(RFC_ENTRY.replace("  auth_role: \"example\"\n", ""), ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.auth_role: is required");
        refused(RFC_ENTRY.replace("  url: https://vault.example.com\n", ""), ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.url: is required");
        refused("name: v\ntype: vault\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config: is required");
    }

    @Test
    void fromYamlWhenValuesBreakARuleThenEachErrorNamesThePathAndTheRule() {
        refused(RFC_ENTRY.replace("https://vault.example.com", "vault:8200"), ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("var_source.config.url: must be an absolute http or https URL");
        refused(RFC_ENTRY + "  query_timeout: soon\n", ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("var_source.config.query_timeout: is not a duration");
        refused(RFC_ENTRY + "  retry_max: 99\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.retry_max: must be a whole number from 0 to 10");
        refused(RFC_ENTRY + "  lookup_templates: [\"/{{.Team}}/x\"]\n", ErrorCode.CONFIG_UNREADABLE)
                .hasMessageContaining("(a key appears twice: lookup_templates)");
        refused(RFC_ENTRY.replace("[\"/{{.Team}}/{{.Pipeline}}/{{.Secret}}\", ", "[\"/{{.Team}}/x\", "),
                ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.lookup_templates[0]: must contain {{.Secret}}");
        refused(RFC_ENTRY.replace("{{.Pipeline}}/{{.Secret}}\", \"/", "{{.Job}}/{{.Secret}}\", \"/"),
                ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("var_source.config.lookup_templates[0]: unknown placeholder {{.Job}}");
        refused(RFC_ENTRY.replace("\"/{{.Team}}/{{.Secret}}\"]", "\"/{{.Team}/{{.Secret}}\"]"), ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("var_source.config.lookup_templates[1]: has a '{{' or '}}'");
        refused(RFC_ENTRY.replace("/shared/{{.Pipeline}}", "/shared/../{{.Pipeline}}"), ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.shared_path: has a '.' or '..' path segment");
        refused(RFC_ENTRY.replace("path_prefix: \"/concourse\"", "path_prefix: /concourse/../sys"),
                ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.path_prefix: has an empty, '.' or '..' path segment");
        refused(RFC_ENTRY.replace("auth_path: \"/auth/concourse\"", "auth_path: \"/auth/login\""),
                ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("var_source.config.auth_path: is empty once normalised");
        refused(RFC_ENTRY.replace("auth_path: \"/auth/concourse\"", "auth_path: concourse/../cert"),
                ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.auth_path: has an empty, '.' or '..' path segment");
        refused(RFC_ENTRY + "  token_ttl: 2h\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.token_ttl: must be from 1m to 1h");
    }

    @Test
    void fromYamlWhenTokenTtlIsAtOrPastEitherBoundThenOnlyOneMinuteToOneHourIsAccepted() throws Exception {
        assertThat(VaultVarSourceConfig.fromYaml(RFC_ENTRY + "  token_ttl: 1m\n").tokenTtl()).isEqualTo(Duration.ofMinutes(1));
        assertThat(VaultVarSourceConfig.fromYaml(RFC_ENTRY + "  token_ttl: 1h\n").tokenTtl()).isEqualTo(Duration.ofHours(1));
        refused(RFC_ENTRY + "  token_ttl: 59s\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.token_ttl: must be from 1m to 1h");
        refused(RFC_ENTRY + "  token_ttl: 1h1s\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.token_ttl: must be from 1m to 1h");
        // Any token may live a day; the pipeline-set login token may not.
        refused(RFC_ENTRY + "  token_ttl: 24h\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.token_ttl: must be from 1m to 1h");
    }

    @Test
    void tokenTtlBoundsWhenHeldAgainstEveryTokensBoundsThenTheLowestIsSharedAndEveryAcceptedTtlMakesAPolicy()
            throws Exception {
        assertThat(VaultVarSourceConfig.MIN_TOKEN_TTL).isEqualTo(ClaimsPolicy.MIN_TTL);
        assertThat(VaultVarSourceConfig.MAX_TOKEN_TTL).isLessThan(ClaimsPolicy.MAX_TTL);
        for (Duration ttl : List.of(VaultVarSourceConfig.MIN_TOKEN_TTL, VaultVarSourceConfig.DEFAULT_TOKEN_TTL,
                VaultVarSourceConfig.MAX_TOKEN_TTL)) {
            assertThat(TestPolicies.builder().ttl(ttl).build().ttl()).isEqualTo(ttl);
        }
    }

    @Test
    void fromYamlWhenAValueHasTheWrongTypeThenRefusedNotCoerced() {
        refused(RFC_ENTRY + "  retry_max: \"3\"\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.retry_max: must be a whole number, not a string");
        refused(RFC_ENTRY + "  retry_max: 1.5\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.retry_max: must be a whole number, not a number");
        refused(RFC_ENTRY + "  retry_max: true\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.retry_max: must be a whole number, not true or false");
        refused(RFC_ENTRY.replace("auth_role: \"example\"", "auth_role: 42"), ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.auth_role: must be a string, not a whole number");
        refused(RFC_ENTRY.replace("auth_role: \"example\"", "auth_role: true"), ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.auth_role: must be a string, not true or false");
        refused(RFC_ENTRY + "  token_ttl: 300\n", ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("var_source.config.token_ttl: is a bare number, but a duration needs its unit");
        refused(RFC_ENTRY.replace("[\"/{{.Team}}/{{.Pipeline}}/{{.Secret}}\", \"/{{.Team}}/{{.Secret}}\"]",
                "\"/{{.Team}}/{{.Secret}}\""), ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.lookup_templates: must be a list, not a string");
        refused(RFC_ENTRY.replace("[\"/{{.Team}}/{{.Pipeline}}/{{.Secret}}\", ", "[7, "), ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.lookup_templates[0]: must be a string, not a whole number");
        refused("name: v\ntype: vault\nconfig: [url]\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config: must be a mapping, not a list");
        refused("name: v\ntype: vault\nconfig: {url: https://v, auth_role: r, audience: null}\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.audience: has no value (leave the key out to use its default)");
    }

    @Test
    void fromYamlWhenDurationsAreWrittenThenTheSharedGrammarAppliesAndZeroIsRefused() throws Exception {
        assertThat(VaultVarSourceConfig.fromYaml(RFC_ENTRY + "  login_timeout: 1m2s4ms\n").loginTimeout())
                .isEqualTo(Duration.parse("PT1M2.004S"));
        refused(RFC_ENTRY + "  login_timeout: \"5\"\n", ErrorCode.SETTING_INVALID)
                .hasMessageContaining("a unit is required");
        refused(RFC_ENTRY + "  login_timeout: 5S\n", ErrorCode.SETTING_INVALID)
                .hasMessageContaining("units are lower case");
        refused(RFC_ENTRY + "  login_timeout: 5s ago\n", ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("var_source.config.login_timeout: is not a duration");
        // None of these durations documents "0 turns it off", so 0 is out of range rather than off.
        refused(RFC_ENTRY + "  connect_timeout: \"0\"\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.connect_timeout: must be from 1ms to 1m");
        refused(RFC_ENTRY + "  query_timeout: 1h\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.query_timeout: must be from 1ms to 5m");
        refused(RFC_ENTRY + "  retry_initial: 1m\n", ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.retry_initial: must be from 1ms to 5s");
    }

    @Test
    void fromYamlWhenTextIsNotYamlOrHasADuplicateKeyThenUnreadableWithoutQuotingIt() {
        refused("name: v\ntype: vault\nconfig: {url: [unclosed SECRET-MARKER\n", ErrorCode.CONFIG_UNREADABLE)
                .hasMessageStartingWith("var source is not valid YAML or JSON at line ")
                .hasMessageNotContaining("SECRET-MARKER");
        refused(RFC_ENTRY + "  url: https://other.example.com\n", ErrorCode.CONFIG_UNREADABLE)
                .hasMessageStartingWith("var source is not valid YAML or JSON at line ")
                .hasMessageEndingWith("(a key appears twice: url)")
                .hasMessageNotContaining("other.example");
    }

    @Test
    void fromYamlWhenValuesMayBeSecretThenNoErrorQuotesThem() {
        refused(RFC_ENTRY.replace("https://vault.example.com", "https://user:S3CRET@vault.example.com"),
                ErrorCode.SETTING_INVALID).hasMessageNotContaining("S3CRET").hasMessageContaining("no user info");
        String garbageKey = "-----BEGIN PRIVATE KEY-----\nS3CRETS3CRETS3CRET\n-----END PRIVATE KEY-----\n";
        refused(RFC_ENTRY + block("client_cert", client.certificatePem()) + block("client_key", garbageKey),
                ErrorCode.TLS_INVALID)
                .hasMessageStartingWith("var_source.config.client_key: holds no")
                .hasMessageNotContaining("S3CRET");
        refused(RFC_ENTRY + "  audience: 17\n", ErrorCode.SETTING_INVALID).hasMessageNotContaining("17");
    }

    @Test
    void fromYamlWhenTlsIsGivenAsPemTextThenItIsParsedAndCheckedAtLoad() throws Exception {
        VaultVarSourceConfig config = VaultVarSourceConfig.fromYaml(RFC_ENTRY + block("ca_cert", ca.certificatePem())
                + block("client_cert", client.certificatePem()) + block("client_key", client.privateKeyPem()));

        assertThat(config.tls().trustAnchors()).containsExactly(ca.certificate());
        assertThat(config.tls().clientCertificate()).hasValueSatisfying(c -> {
            assertThat(c.chain()).containsExactly(client.certificate());
            assertThat(c.key()).isEqualTo(client.keys().getPrivate());
        });
        assertThat(config.toString()).doesNotContain("PRIVATE").contains("key=<redacted>");
    }

    @Test
    void fromYamlWhenTlsPemIsWrongThenTlsInvalidNamingTheSetting() {
        refused(RFC_ENTRY + block("ca_cert", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
                + "-----END CERTIFICATE-----\n"), ErrorCode.TLS_INVALID)
                .hasMessageStartingWith("var_source.config.ca_cert: holds no");
        refused(RFC_ENTRY + block("ca_cert", client.privateKeyPem()), ErrorCode.TLS_INVALID)
                .hasMessage("var_source.config.ca_cert: holds a PEM block that is not a certificate")
                .hasMessageNotContaining("PRIVATE KEY-----");
        refused(RFC_ENTRY + block("client_cert", client.certificatePem()) + block("client_key", otherClient.privateKeyPem()),
                ErrorCode.TLS_INVALID)
                .hasMessage("var_source.config.client_key: is not the private key of the first certificate in"
                        + " var_source.config.client_cert");
        refused(RFC_ENTRY + block("client_cert", client.certificatePem()), ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.client_key: is required: client_cert and client_key go together");
    }

    @Test
    void fromYamlWhenTlsIsGivenForAnHttpUrlThenTheConflictIsNamed() {
        refused(RFC_ENTRY.replace("https://vault.example.com", "http://vault.example.com")
                + block("ca_cert", ca.certificatePem()), ErrorCode.OPTIONS_CONFLICT)
                .hasMessageContaining("url is http");
    }

    @Test
    void fromPipelineYamlWhenSeveralSourcesThenOnlyVaultEntriesAreReadAndErrorsNameTheIndex() throws Exception {
        String pipeline = "var_sources:\n- name: other\n  type: dummy\n  config: {vars: {a: b}}\n- "
                + RFC_ENTRY.replace("\n", "\n  ").stripTrailing() + "\njobs: []\n";

        List<VaultVarSourceConfig> configs = VaultVarSourceConfig.fromPipelineYaml(pipeline);

        assertThat(configs).extracting(VaultVarSourceConfig::name).containsExactly("hvjwt");
        assertThat(configs.get(0).origin()).isEqualTo("var_sources[1]");
        assertThatThrownBy(() -> VaultVarSourceConfig.fromPipelineYaml(pipeline.replace("auth_role: \"example\"",
                "auth_role: [example]")))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SETTING_INVALID))
                .hasMessage("var_sources[1].config.auth_role: must be a string, not a list");
        assertThatThrownBy(() -> VaultVarSourceConfig.fromPipelineYaml("var_sources: {a: b}\n"))
                .hasMessage("var_sources: must be a list");
    }

    @Test
    void withUrlWhenTheNewUrlBreaksTheRuleThenRefused() throws Exception {
        VaultVarSourceConfig config = VaultVarSourceConfig.fromYaml(RFC_ENTRY);

        assertThat(config.withUrl(URI.create("http://127.0.0.1:8200")).address()).isEqualTo("http://127.0.0.1:8200");
        assertThatThrownBy(() -> config.withUrl(URI.create("ftp://127.0.0.1")))
                .hasMessageStartingWith("var_source.config.url: must be an absolute http or https URL");
    }

    @Test
    void qualifiedAuthPathWhenANamespaceIsGivenThenItComesFirstAndRootIsNoNamespace() throws Exception {
        assertThat(VaultVarSourceConfig.fromYaml(RFC_ENTRY.replace("namespace: \"/root\"", "namespace: /team-a/"))
                .qualifiedAuthPath()).isEqualTo("team-a/concourse");
        assertThat(VaultVarSourceConfig.fromYaml(RFC_ENTRY.replace("namespace: \"/root\"", "namespace: root"))
                .qualifiedAuthPath()).isEqualTo("concourse");
        refused(RFC_ENTRY.replace("namespace: \"/root\"", "namespace: a/../b"), ErrorCode.SETTING_INVALID)
                .hasMessage("var_source.config.namespace: has an empty, '.' or '..' path segment");
    }
}
