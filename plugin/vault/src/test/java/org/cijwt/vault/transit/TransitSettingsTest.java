package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Transit source's operator settings: the file named by $CI_JWT_TRANSIT_CONFIG, then Vault's own variables. */
class TransitSettingsTest {
    private static final String ADDR = "http://127.0.0.1:8200";

    @TempDir
    Path dir;

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private Map<String, String> withFile(String yaml, String... pairs) throws Exception {
        Map<String, String> env = env(pairs);
        env.put(TransitSettings.CONFIG_ENV, Files.writeString(dir.resolve("transit.yml"), yaml).toString());
        return env;
    }

    private Path secret(String name, String value) throws Exception {
        Path f = Files.writeString(dir.resolve(name), value + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    private static void assertCode(ErrorCode code, String fragment, Map<String, String> env) {
        assertThatThrownBy(() -> TransitSettings.load(env))
                .isInstanceOfSatisfying(CiJwtException.class, e -> {
                    assertThat(e.code()).isEqualTo(code);
                    assertThat(e.getMessage()).contains(fragment).doesNotContain("\n");
                });
    }

    @Test
    void loadWhenOnlyVaultVariablesThenTokenAuthAndDefaults() throws Exception {
        TransitSettings s = TransitSettings.load(env("VAULT_ADDR", ADDR + "/", "VAULT_TOKEN", "s.secret-token"));

        assertThat(s.addressText()).isEqualTo(ADDR);
        assertThat(s.auth()).isInstanceOf(TransitAuth.Token.class);
        assertThat(s.timeout()).isEqualTo(TransitSettings.DEFAULT_TIMEOUT);
        assertThat(s.publishAhead()).isEqualTo(TransitSettings.DEFAULT_PUBLISH_AHEAD);
        assertThat(s.retire()).isEqualTo(TransitSettings.Retire.AFTER_EXPIRY);
        assertThat(s.toString()).doesNotContain("s.secret-token");
    }

    @Test
    void loadWhenBaoVariablesThenTheyCountLikeVaultOnes() throws Exception {
        TransitSettings s = TransitSettings.load(env("BAO_ADDR", ADDR, "BAO_TOKEN", "t", "BAO_NAMESPACE", "/team-a/"));

        assertThat(s.namespace()).contains("team-a");
        assertThat(s.auth().describe()).isEqualTo("the token in $BAO_TOKEN");
    }

    @Test
    void loadWhenBaoAndVaultAddressDisagreeThenConflict() {
        assertCode(ErrorCode.OPTIONS_CONFLICT, "BAO_ADDR and VAULT_ADDR",
                env("BAO_ADDR", ADDR, "VAULT_ADDR", "http://other:8200", "VAULT_TOKEN", "t"));
    }

    @Test
    void loadWhenNoAddressThenTheLineSaysWhereToSetIt() {
        assertCode(ErrorCode.SETTING_INVALID, "set VAULT_ADDR or BAO_ADDR", env("VAULT_TOKEN", "t"));
    }

    @Test
    void loadWhenNoTokenAndNoAuthThenTheLineSaysWhereToSetIt() {
        assertCode(ErrorCode.SETTING_INVALID, "set VAULT_TOKEN or BAO_TOKEN", env("VAULT_ADDR", ADDR));
    }

    @Test
    void loadWhenFileGivesEverythingThenEnvironmentStillOverridesTheAddress() throws Exception {
        Path secretId = secret("secret-id", "the-secret-id");
        TransitSettings s = TransitSettings.load(withFile("""
                address: http://from-file:8200
                namespace: ns
                auth: {method: approle, mount: auth/ci-approle/, role_id: rid, secret_id_file: %s}
                timeout: 3s
                connect_timeout: 5s
                poll_interval: 10s
                publish_ahead: 1m
                max_token_ttl: 2h
                retire: immediately
                batch_size: 50
                concurrency: 2
                """.formatted(secretId), "VAULT_ADDR", ADDR));

        assertThat(s.addressText()).isEqualTo(ADDR);
        assertThat(s.auth()).isEqualTo(new TransitAuth.AppRole("ci-approle", "rid", secretId));
        // A connect timeout longer than the whole call is cut to it.
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.pollInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.publishAhead()).isEqualTo(Duration.ofMinutes(1));
        assertThat(s.maxTokenTtl()).isEqualTo(Duration.ofHours(2));
        assertThat(s.retire()).isEqualTo(TransitSettings.Retire.IMMEDIATELY);
        assertThat(s.batchSize()).isEqualTo(50);
        assertThat(s.concurrency()).isEqualTo(2);
    }

    @Test
    void loadWhenKubernetesMethodThenServiceAccountTokenIsTheDefaultJwt() throws Exception {
        TransitSettings s = TransitSettings.load(withFile("auth: {method: kubernetes, role: ci-jwt}\n", "VAULT_ADDR", ADDR));

        assertThat(s.auth()).isEqualTo(new TransitAuth.JwtLogin("kubernetes", "kubernetes", "ci-jwt",
                TransitSettings.KUBERNETES_JWT_FILE));
        assertThat(s.auth().describe()).isEqualTo("Kubernetes login at auth/kubernetes as role ci-jwt");
    }

    @Test
    void loadWhenCertMethodHasNoClientCertificateThenRefused() throws Exception {
        assertCode(ErrorCode.SETTING_INVALID, "auth: method cert needs a client certificate",
                withFile("auth: {method: cert}\n", "VAULT_ADDR", "https://vault:8200"));
    }

    @Test
    void loadWhenFileHasAnUnknownKeyThenItIsNamed() throws Exception {
        assertCode(ErrorCode.CONFIG_UNKNOWN_KEY, "unknown key 'adress'", withFile("adress: x\n", "VAULT_TOKEN", "t"));
        assertCode(ErrorCode.CONFIG_UNKNOWN_KEY, "auth: unknown key 'secret'",
                withFile("auth: {method: approle, secret: x}\n", "VAULT_ADDR", ADDR));
    }

    @Test
    void loadWhenMethodGetsAnotherMethodsSettingThenConflict() throws Exception {
        assertCode(ErrorCode.OPTIONS_CONFLICT, "does not use [jwt_file]",
                withFile("auth: {method: token, jwt_file: /x}\n", "VAULT_ADDR", ADDR, "VAULT_TOKEN", "t"));
    }

    @Test
    void loadWhenPublishAheadShorterThanPollThenRefused() throws Exception {
        assertCode(ErrorCode.SETTING_INVALID, "publish_ahead 10s is shorter than poll_interval 30s",
                withFile("publish_ahead: 10s\n", "VAULT_ADDR", ADDR, "VAULT_TOKEN", "t"));
    }

    @Test
    void loadWhenValuesBreakTheirRulesThenTheSettingIsNamed() throws Exception {
        assertCode(ErrorCode.SETTING_INVALID, "timeout: is a bare number, but a duration needs its unit",
                withFile("timeout: 5\n", "VAULT_ADDR", ADDR, "VAULT_TOKEN", "t"));
        assertCode(ErrorCode.SETTING_INVALID, "batch_size: must be a whole number from 1 to 1000",
                withFile("batch_size: 0\n", "VAULT_ADDR", ADDR, "VAULT_TOKEN", "t"));
        assertCode(ErrorCode.SETTING_INVALID, "retire: must be after_expiry or immediately",
                withFile("retire: never\n", "VAULT_ADDR", ADDR, "VAULT_TOKEN", "t"));
        assertCode(ErrorCode.SETTING_INVALID, "method approle needs secret_id_file",
                withFile("auth: {method: approle, role_id: r}\n", "VAULT_ADDR", ADDR));
        assertCode(ErrorCode.SETTING_INVALID, "transit settings: address: must be an absolute http or https URL",
                env("VAULT_ADDR", "ftp://x", "VAULT_TOKEN", "t"));
    }

    @Test
    void loadWhenAnAddressComesFromTheEnvironmentThenTheErrorNamesTheVariableAndNeverQuotesTheValue() {
        assertThatThrownBy(() -> TransitSettings.load(env("BAO_ADDR", "https://user:S3CRET@vault:8200", "VAULT_TOKEN", "t")))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SETTING_INVALID))
                .hasMessage("transit settings: address: must be an absolute http or https URL with a host and no user"
                        + " info, query or fragment (from BAO_ADDR)");
    }

    @Test
    void loadWhenValuesAreOfAnotherTypeThenRefusedAndNeverCoerced() throws Exception {
        assertCode(ErrorCode.SETTING_INVALID, "batch_size: must be a whole number, not a string",
                withFile("batch_size: \"50\"\n", "VAULT_ADDR", ADDR, "VAULT_TOKEN", "t"));
        assertCode(ErrorCode.SETTING_INVALID, "namespace: must be a string, not a whole number",
                withFile("namespace: 7\n", "VAULT_ADDR", ADDR, "VAULT_TOKEN", "t"));
        assertCode(ErrorCode.SETTING_INVALID, "auth: must be a mapping, not a string",
                withFile("auth: approle\n", "VAULT_ADDR", ADDR, "VAULT_TOKEN", "t"));
        assertCode(ErrorCode.SETTING_INVALID, "auth.role: must be a string, not a list",
                withFile("auth: {method: kubernetes, role: [a]}\n", "VAULT_ADDR", ADDR));
        assertCode(ErrorCode.SETTING_INVALID, "timeout: has no value (leave the key out to use its default)",
                withFile("timeout:\n", "VAULT_ADDR", ADDR, "VAULT_TOKEN", "t"));
    }

    @Test
    void loadWhenAuthMethodIsUnknownThenItsSettingIsNamed() throws Exception {
        assertCode(ErrorCode.SETTING_INVALID, "auth.method: must be one of token, approle, kubernetes, jwt, cert",
                withFile("auth: {method: ldap}\n", "VAULT_ADDR", ADDR));
    }

    @Test
    void loadWhenTlsFilesGivenForHttpOrHalfAPairThenTlsInvalid() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        assertCode(ErrorCode.TLS_INVALID, "is http", env("VAULT_ADDR", ADDR, "VAULT_TOKEN", "t", "VAULT_CACERT", ca.toString()));
        assertCode(ErrorCode.TLS_INVALID, "must be given together",
                env("VAULT_ADDR", "https://vault:8200", "VAULT_TOKEN", "t", "VAULT_CLIENT_CERT", ca.toString()));
    }

    @Test
    void loadWhenClientKeyIsReadableByOthersThenRefusedWithTheChmod() throws Exception {
        Path cert = Files.writeString(dir.resolve("client.pem"), "x");
        Path key = Files.writeString(dir.resolve("client-key.pem"), "x");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

        assertCode(ErrorCode.KEY_FILE_PERMISSIONS, "chmod 600", env("VAULT_ADDR", "https://vault:8200", "VAULT_TOKEN", "t",
                "VAULT_CLIENT_CERT", cert.toString(), "VAULT_CLIENT_KEY", key.toString()));
    }

    @Test
    void loadWhenConfigFileMissingOrNotYamlThenUnreadable() throws Exception {
        Map<String, String> missing = env("VAULT_ADDR", ADDR, "VAULT_TOKEN", "t", TransitSettings.CONFIG_ENV, dir.resolve("none.yml").toString());
        assertCode(ErrorCode.CONFIG_UNREADABLE, "does not exist", missing);
        assertCode(ErrorCode.CONFIG_UNREADABLE, "is not valid YAML", withFile("a: [\n", "VAULT_ADDR", ADDR));
    }
}
