package org.cijwt.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultOperatorSettingsTest {

    @TempDir
    static Path dir;

    private static TestPki.Issued ca;
    private static TestPki.PemFiles host;
    private static Path caFile;

    @BeforeAll
    static void files() throws Exception {
        ca = TestPki.ca("operator CA");
        host = TestPki.client(ca, "worker-host").written(dir, "host");
        caFile = Files.writeString(dir.resolve("ca.pem"), ca.certificatePem());
    }

    private static String settings(String extra) {
        return """
                allowed_addresses: ["https://Vault.Example.com:443/", "http://127.0.0.1:8200"]
                allowed_auth_paths: [/auth/concourse/, team-a/concourse]
                """ + extra;
    }

    private static void assertCode(Throwable e, ErrorCode code) {
        assertThat(e).isInstanceOf(CiJwtException.class);
        assertThat(((CiJwtException) e).code()).isEqualTo(code);
    }

    @Test
    void fromYamlWhenAllKeysGivenThenFilesAreReadAndAddressesAndMountsNormalised() throws Exception {
        VaultOperatorSettings s = VaultOperatorSettings.fromYaml(settings("""
                ca_cert_file: %s
                client_cert_file: %s
                client_key_file: %s
                """.formatted(caFile, host.certificate(), host.privateKey())), "vault.yml");

        assertThat(s.allowedAddresses()).containsExactly(URI.create("https://vault.example.com:443"),
                URI.create("http://127.0.0.1:8200"));
        assertThat(s.allowedAuthPaths()).containsExactly("concourse", "team-a/concourse");
        assertThat(s.tls().trustAnchors()).containsExactly(ca.certificate());
        assertThat(s.tls().clientCertificate()).hasValueSatisfying(c ->
                assertThat(c.chain().get(0).getSubjectX500Principal().getName()).isEqualTo("CN=worker-host"));
        assertThat(s.toString()).doesNotContain("PRIVATE KEY").contains("key=<redacted>");
    }

    @Test
    void fromFileWhenAllowListsAreMissingThenTheErrorNamesTheFileAndTheKey() throws Exception {
        Path file = Files.writeString(dir.resolve("vault.yml"), "allowed_auth_paths: [concourse]\n");

        assertThatThrownBy(() -> VaultOperatorSettings.fromFile(file))
                .satisfies(e -> assertCode(e, ErrorCode.SETTING_INVALID))
                .hasMessage(file + ": allowed_addresses: is required: list the Vault addresses pipelines may use");
        assertThatThrownBy(() -> VaultOperatorSettings.fromYaml("allowed_addresses: [https://v]\n", "vault.yml"))
                .hasMessageStartingWith("vault.yml: allowed_auth_paths: is required");
        assertThatThrownBy(() -> VaultOperatorSettings.fromFile(dir.resolve("missing.yml")))
                .satisfies(e -> assertCode(e, ErrorCode.CONFIG_UNREADABLE));
    }

    @Test
    void fromYamlWhenKeysAreUnknownOrOfTheWrongTypeThenRefusedWithThePath() {
        assertThatThrownBy(() -> VaultOperatorSettings.fromYaml(settings("insecure_skip_verify: true\n"), "vault.yml"))
                .satisfies(e -> assertCode(e, ErrorCode.CONFIG_UNKNOWN_KEY))
                .hasMessageStartingWith("vault.yml: unknown key 'insecure_skip_verify' (known keys: allowed_addresses,");
        assertThatThrownBy(() -> VaultOperatorSettings.fromYaml("allowed_addresses: https://v\n", "vault.yml"))
                .satisfies(e -> assertCode(e, ErrorCode.SETTING_INVALID))
                .hasMessage("vault.yml: allowed_addresses: must be a list, not a string");
        assertThatThrownBy(() -> VaultOperatorSettings.fromYaml(settings("ca_cert_file: 7\n"), "vault.yml"))
                .hasMessage("vault.yml: ca_cert_file: must be a string, not a whole number");
        assertThatThrownBy(() -> VaultOperatorSettings.fromYaml(
                "allowed_addresses: [\"https://u:PW@v\"]\nallowed_auth_paths: [c]\n", "vault.yml"))
                .hasMessageStartingWith("vault.yml: allowed_addresses[0]: must be an absolute http or https URL")
                .hasMessageNotContaining("PW");
        assertThatThrownBy(() -> VaultOperatorSettings.fromYaml(
                "allowed_addresses: [\"https://v\"]\nallowed_auth_paths: [/auth/login]\n", "vault.yml"))
                .hasMessageStartingWith("vault.yml: allowed_auth_paths[0]: must name an auth mount");
    }

    @Test
    void fromYamlWhenTlsFilesAreWrongThenEachErrorNamesTheSettingAndTheFile() throws Exception {
        assertThatThrownBy(() -> VaultOperatorSettings.fromYaml(settings("ca_cert_file: ca.pem\n"), "vault.yml"))
                .satisfies(e -> assertCode(e, ErrorCode.SETTING_INVALID))
                .hasMessage("vault.yml: ca_cert_file: must be an absolute path");
        Path missing = dir.resolve("nope.pem");
        assertThatThrownBy(() -> VaultOperatorSettings.fromYaml(settings("ca_cert_file: " + missing + "\n"), "vault.yml"))
                .satisfies(e -> assertCode(e, ErrorCode.TLS_INVALID))
                .hasMessage("vault.yml: ca_cert_file: file " + missing + " does not exist");
        assertThatThrownBy(() -> VaultOperatorSettings.fromYaml(settings("client_cert_file: " + host.certificate() + "\n"),
                "vault.yml"))
                .hasMessage("vault.yml: client_key_file: is required: client_cert_file and client_key_file go together");
        assertThatThrownBy(() -> VaultOperatorSettings.fromYaml(settings("client_cert_file: %s\nclient_key_file: %s\n"
                .formatted(host.certificate(), host.certificate())), "vault.yml"))
                .satisfies(e -> assertCode(e, ErrorCode.KEY_FILE_PERMISSIONS))
                .hasMessageContaining("chmod 600 " + host.certificate());
    }

    @Test
    void fromYamlWhenTheClientKeyIsReadableByOthersThenRefusedAsEveryPrivateKeyFile() throws Exception {
        Path open = Files.writeString(dir.resolve("open-key.pem"), Files.readString(host.privateKey()));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> VaultOperatorSettings.fromYaml(settings("client_cert_file: %s\nclient_key_file: %s\n"
                .formatted(host.certificate(), open)), "vault.yml"))
                .satisfies(e -> assertCode(e, ErrorCode.KEY_FILE_PERMISSIONS))
                .hasMessageContaining("vault.yml: client_key_file " + open + " is accessible by group or others")
                .hasMessageNotContaining("PRIVATE KEY");
    }

    @Test
    void builderWhenUsedInCodeThenTheSameRulesApply() throws Exception {
        VaultOperatorSettings s = VaultOperatorSettings.builder().allowAddress(URI.create("https://vault:8200"))
                .allowAuthPath("concourse").caCertFile(caFile).build();

        assertThat(s.allowedAddresses()).containsExactly(URI.create("https://vault:8200"));
        assertThat(s.tls().trustAnchors()).hasSize(1);
        assertThatThrownBy(() -> VaultOperatorSettings.builder().allowAuthPath("concourse").build())
                .hasMessageStartingWith("Vault operator settings: allowed_addresses: is required");
    }

    @Test
    void normalizeAddressWhenWrittenDifferentlyThenTheSameAddress() {
        assertThat(VaultOperatorSettings.normalizeAddress(URI.create("HTTPS://Vault.Example.COM/")))
                .isEqualTo(VaultOperatorSettings.normalizeAddress(URI.create("https://vault.example.com:443")));
        assertThat(VaultOperatorSettings.normalizeAddress(URI.create("https://vault.example.com/proxy/")))
                .isEqualTo(URI.create("https://vault.example.com:443/proxy"));
        assertThat(VaultOperatorSettings.normalizeAddress(URI.create("http://vault.example.com")))
                .isNotEqualTo(VaultOperatorSettings.normalizeAddress(URI.create("https://vault.example.com")));
    }
}
