package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.cijwt.cli.Main;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ExitCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void loadWhenNothingIsSetThenDocumentedDefaults() throws Exception {
        WebConfig c = WebConfigLoader.load(null, Map.of(), Map.of());
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.issuer()).isEqualTo("http://127.0.0.1:8080");
        assertThat(c.keys()).isNull();
        assertThat(c.jwksMaxAge()).isEqualTo(Duration.ofSeconds(300));
        assertThat(c.leeway()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.introspectionReasons()).isTrue();
        assertThat(c.reloadInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.tls()).isFalse();
    }

    @Test
    void loadWhenFileEnvAndFlagsSetThenFlagsBeatEnvBeatFile() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.yaml"), """
                listen: 0.0.0.0:9000
                issuer: https://file.example.test
                leeway: 30s
                audiences: [vault, aws]
                verification_keys:
                  - /keys/a.pem
                  - /keys/b.jwks
                introspection_reasons: false
                """);
        WebConfig c = WebConfigLoader.load(file,
                Map.of("CI_JWT_ISSUER", "https://env.example.test", "CI_JWT_LEEWAY", "45s", "PATH", "/bin"),
                Map.of(Setting.LEEWAY, List.of("10s")));
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.port()).isEqualTo(9000);
        assertThat(c.issuer()).isEqualTo("https://env.example.test");
        assertThat(c.leeway()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.audiences()).containsExactly("vault", "aws");
        assertThat(c.verificationKeys()).containsExactly(Path.of("/keys/a.pem"), Path.of("/keys/b.jwks"));
        assertThat(c.introspectionReasons()).isFalse();
    }

    @Test
    void loadWhenJsonFileThenReadAsJson() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.json"), "{\"listen\": \"[::1]:8443\", \"jwks_max_age\": \"10m\"}");
        WebConfig c = WebConfigLoader.load(file, Map.of(), Map.of());
        assertThat(c.host()).isEqualTo("::1");
        assertThat(c.port()).isEqualTo(8443);
        assertThat(c.jwksMaxAge()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void loadWhenFileHasUnknownKeyThenErrorNamesTheKey() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.yaml"), "listen: 127.0.0.1:8080\nissuer_url: https://x.example\n");
        assertThatThrownBy(() -> WebConfigLoader.load(file, Map.of(), Map.of()))
                .isInstanceOf(CiJwtException.class).hasMessageContaining("unknown setting 'issuer_url'");
    }

    @Test
    void loadWhenIssuerHasTrailingSlashThenErrorNamesTheSetting() {
        assertThatThrownBy(() -> WebConfigLoader.load(null, Map.of("CI_JWT_ISSUER", "https://ci.example.test/"), Map.of()))
                .isInstanceOf(CiJwtException.class).hasMessageContaining("setting issuer").hasMessageContaining("ends with '/'");
    }

    @Test
    void loadWhenDurationIsInvalidThenErrorNamesSettingAndOrigin() {
        assertThatThrownBy(() -> WebConfigLoader.load(null, Map.of("CI_JWT_JWKS_MAX_AGE", "5 minutes"), Map.of()))
                .isInstanceOf(CiJwtException.class)
                .hasMessageContaining("setting jwks_max_age").hasMessageContaining("CI_JWT_JWKS_MAX_AGE");
    }

    @Test
    void loadWhenListenHasNoPortThenError() {
        assertThatThrownBy(() -> WebConfigLoader.load(null, Map.of(), Map.of(Setting.LISTEN, List.of("localhost"))))
                .isInstanceOf(CiJwtException.class).hasMessageContaining("setting listen").hasMessageContaining("--listen");
    }

    @Test
    void loadWhenOnlyTlsCertIsSetThenError() throws Exception {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n");
        assertThatThrownBy(() -> WebConfigLoader.load(null, Map.of("CI_JWT_TLS_CERT", cert.toString()), Map.of()))
                .isInstanceOf(CiJwtException.class)
                .hasMessageStartingWith("setting tls_key:").hasMessageContaining("tls_cert and tls_key must be set together");
    }

    @Test
    void loadWhenOnlyTlsKeyIsSetThenErrorNamesTheMissingTlsCert() throws Exception {
        Path key = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n");
        assertThatThrownBy(() -> WebConfigLoader.load(null, Map.of(), Map.of(Setting.TLS_KEY, List.of(key.toString()))))
                .isInstanceOf(CiJwtException.class)
                .hasMessageStartingWith("setting tls_cert:").hasMessageContaining("tls_cert and tls_key must be set together");
    }

    @Test
    void loadWhenLeewayAboveFiveMinutesThenError() {
        assertThatThrownBy(() -> WebConfigLoader.load(null, Map.of("CI_JWT_LEEWAY", "1h"), Map.of()))
                .isInstanceOf(CiJwtException.class).hasMessageContaining("setting leeway");
    }

    @Test
    void serveWhenSettingIsInvalidThenExitsOneWithoutStarting() {
        assertThat(Main.run("serve", "--leeway", "soon")).isEqualTo(ExitCode.REJECTED);
        assertThat(Main.run("serve", "--no-such-flag")).isEqualTo(ExitCode.USAGE);
    }

    @Test
    void settingsWhenListedThenEveryOneHasEnvVarAndFlag() {
        for (Setting s : Setting.values()) {
            assertThat(s.envVar()).startsWith("CI_JWT_").isUpperCase();
            assertThat(s.flag()).startsWith("--");
            assertThat(Setting.ofKey(s.key())).contains(s);
        }
        assertThat(Setting.LISTEN.envVar()).isEqualTo("CI_JWT_LISTEN");
        assertThat(Setting.VERIFICATION_KEYS.flag()).isEqualTo("--verify-keys");
    }
}
