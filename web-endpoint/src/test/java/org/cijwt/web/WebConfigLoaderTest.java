package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.assertj.core.api.AbstractThrowableAssert;
import org.cijwt.config.ConfigBinder;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.keys.RotationPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebConfigLoaderTest {
    /** Looks like a token; a message that quotes a value would show it. */
    private static final String SECRET = "eyJhbGciOiJFUzI1NiJ9.c2VjcmV0.c2ln";

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
        assertThat(c.rotation()).isEqualTo(RotationPolicy.DEFAULT);
        assertThat(c.verifyCacheSize()).isEqualTo(WebConfig.DEFAULT_VERIFY_CACHE_SIZE);
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
                event_loops: 3
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
        assertThat(c.eventLoops()).isEqualTo(3);
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
    void loadWhenEnvironmentGivesListsNumbersAndSwitchesThenEachIsRead() throws Exception {
        WebConfig c = WebConfigLoader.load(null, Map.of("CI_JWT_AUDIENCES", "vault, aws,", "CI_JWT_VERIFY_WORKERS", "2",
                "CI_JWT_INLINE_EDDSA", "TRUE", "CI_JWT_VERIFICATION_KEYS", "/a.pem,/b.pem"), Map.of());
        assertThat(c.audiences()).containsExactly("vault", "aws");
        assertThat(c.verifyWorkers()).isEqualTo(2);
        assertThat(c.inlineEdDsa()).isTrue();
        assertThat(c.verificationKeys()).containsExactly(Path.of("/a.pem"), Path.of("/b.pem"));
    }

    @Test
    void loadWhenFileHasUnknownKeyThenErrorNamesTheKeyAndTheKnownOnes() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.yaml"), "listen: 127.0.0.1:8080\nissuer_url: https://x.example\n");
        refused(file, Map.of(), Map.of(), ErrorCode.CONFIG_UNKNOWN_KEY)
                .hasMessageStartingWith("config file " + file + ": unknown setting 'issuer_url' (known: listen, issuer, keys,");
    }

    @Test
    void loadWhenFileIsMissingOrNotYamlThenConfigUnreadable() throws Exception {
        Path missing = dir.resolve("none.yaml");
        refused(missing, Map.of(), Map.of(), ErrorCode.CONFIG_UNREADABLE).hasMessage("config file " + missing + " does not exist");
        Path broken = Files.writeString(dir.resolve("serve.yaml"), "listen: [127.0.0.1:8080\n");
        refused(broken, Map.of(), Map.of(), ErrorCode.CONFIG_UNREADABLE)
                .hasMessageStartingWith("config file " + broken + " is not valid YAML or JSON at line");
        Path twice = Files.writeString(dir.resolve("twice.json"), "{\"leeway\": \"1s\", \"leeway\": \"2s\"}");
        refused(twice, Map.of(), Map.of(), ErrorCode.CONFIG_UNREADABLE).hasMessageContaining("a key appears twice");
    }

    @Test
    void loadWhenFileIsNotAMappingThenRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.yaml"), "- listen\n");
        refused(file, Map.of(), Map.of(), ErrorCode.SETTING_INVALID).hasMessageEndingWith("must be a mapping of setting names to values");
    }

    @Test
    void loadWhenAFileKeyHasNoValueThenRefusedRatherThanDefaulted() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.yaml"), "leeway:\n");
        refused(file, Map.of(), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessage("setting leeway: has no value (leave the key out to use its default) (from config file " + file + ")");
    }

    @Test
    void loadWhenFileIsEmptyThenDefaults() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.yaml"), "");
        assertThat(WebConfigLoader.load(file, Map.of(), Map.of())).isEqualTo(WebConfigLoader.load(null, Map.of(), Map.of()));
    }

    @Test
    void loadWhenIssuerHasTrailingSlashThenErrorNamesTheSetting() {
        refused(null, Map.of("CI_JWT_ISSUER", "https://ci.example.test/"), Map.of(), ErrorCode.POLICY_INVALID)
                .hasMessageStartingWith("setting issuer: ").hasMessageContaining("ends with '/'")
                .hasMessageEndingWith("(from CI_JWT_ISSUER)");
    }

    @Test
    void loadWhenDurationIsInvalidThenErrorNamesSettingAndOriginButNotTheValue() {
        refused(null, Map.of("CI_JWT_JWKS_MAX_AGE", "5 minutes"), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessage("setting jwks_max_age: is not a duration (e.g. 90s, 10m, 1h, 7d, or 0) (from CI_JWT_JWKS_MAX_AGE)");
    }

    @Test
    void loadWhenFileHoldsABareNumberWhereADurationBelongsThenRefusedNotReadAsSeconds() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.yaml"), "leeway: 30\n");
        refused(file, Map.of(), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessage("setting leeway: is a bare number, but a duration needs its unit (e.g. 90s, 10m, 1h, 7d, or 0)"
                        + " (from config file " + file + ")");
    }

    @Test
    void loadWhenFileHoldsAStringWhereANumberOrSwitchBelongsThenRefusedNotCoerced() throws Exception {
        Path numbers = Files.writeString(dir.resolve("n.yaml"), "event_loops: \"4\"\n");
        refused(numbers, Map.of(), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("setting event_loops: must be a whole number, not a string");
        Path switches = Files.writeString(dir.resolve("s.yaml"), "inline_eddsa: yes\n");
        refused(switches, Map.of(), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("setting inline_eddsa: must be true or false, not a string");
        Path text = Files.writeString(dir.resolve("t.yaml"), "issuer: 8080\n");
        refused(text, Map.of(), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("setting issuer: must be a string, not a whole number");
    }

    @Test
    void loadWhenFileHoldsOneValueWhereAListBelongsThenRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.yaml"), "audiences: vault\n");
        refused(file, Map.of(), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessage("setting audiences: must be a list, not a string (from config file " + file + ")");
    }

    @Test
    void loadWhenEnvironmentHoldsNoNumberOrSwitchThenRefusedNamingTheVariable() {
        refused(null, Map.of("CI_JWT_EVENT_LOOPS", "four"), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessage("setting event_loops: must be a whole number (from CI_JWT_EVENT_LOOPS)");
        refused(null, Map.of("CI_JWT_INLINE_EDDSA", "yes"), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessage("setting inline_eddsa: must be true or false (from CI_JWT_INLINE_EDDSA)");
        refused(null, Map.of("CI_JWT_VERIFY_CACHE_SIZE", "99999999999"), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessage("setting verify_cache_size: is a number out of range (from CI_JWT_VERIFY_CACHE_SIZE)");
    }

    @Test
    void loadWhenListenHasNoPortThenError() {
        refused(null, Map.of(), Map.of(Setting.LISTEN, List.of("localhost")), ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("setting listen: is not HOST:PORT").hasMessageEndingWith("(from --listen)");
        refused(null, Map.of("CI_JWT_LISTEN", "localhost:http"), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("setting listen: has no numeric port");
        refused(null, Map.of("CI_JWT_LISTEN", "localhost:70000"), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("setting listen: port 70000 is outside 0..65535");
    }

    @Test
    void loadWhenOnlyTlsCertIsSetThenError() throws Exception {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n");
        refused(null, Map.of("CI_JWT_TLS_CERT", cert.toString()), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("setting tls_key:").hasMessageContaining("tls_cert and tls_key must be set together");
    }

    @Test
    void loadWhenOnlyTlsKeyIsSetThenErrorNamesTheMissingTlsCert() throws Exception {
        Path key = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n");
        refused(null, Map.of(), Map.of(Setting.TLS_KEY, List.of(key.toString())), ErrorCode.SETTING_INVALID)
                .hasMessageStartingWith("setting tls_cert:").hasMessageContaining("tls_cert and tls_key must be set together");
    }

    @Test
    void loadWhenLeewayAboveFiveMinutesThenError() {
        refused(null, Map.of("CI_JWT_LEEWAY", "1h"), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessage("setting leeway: 1h is more than 5m (from CI_JWT_LEEWAY)");
    }

    @Test
    void loadWhenRotationGraceIsShorterThanTheLongestTokenThenRotationInvalid() {
        refused(null, Map.of("CI_JWT_ROTATION_GRACE", "1h"), Map.of(), ErrorCode.ROTATION_INVALID)
                .hasMessageStartingWith("setting rotation_grace: rotation grace period 1h is shorter than the longest token lifetime")
                .hasMessageEndingWith("(from CI_JWT_ROTATION_GRACE)");
    }

    @Test
    void loadWhenRotationPeriodIsZeroFromFileEnvOrFlagThenRotationIsOff() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.yaml"), "rotation_period: 0\nrotation_grace: 1m\n");
        for (WebConfig c : List.of(
                WebConfigLoader.load(file, Map.of(), Map.of()),
                WebConfigLoader.load(null, Map.of("CI_JWT_ROTATION_PERIOD", "0"), Map.of()),
                WebConfigLoader.load(null, Map.of(), Map.of(Setting.ROTATION_PERIOD, List.of("0"))))) {
            assertThat(c.rotation().enabled()).isFalse();
            assertThat(c.rotation().period()).isZero();
        }
    }

    @Test
    void loadWhenReloadIntervalIsZeroFromFileEnvOrFlagThenReloadingIsOff() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.yaml"), "reload_interval: 0\n");
        for (WebConfig c : List.of(
                WebConfigLoader.load(file, Map.of(), Map.of()),
                WebConfigLoader.load(null, Map.of("CI_JWT_RELOAD_INTERVAL", "0"), Map.of()),
                WebConfigLoader.load(null, Map.of(), Map.of(Setting.RELOAD_INTERVAL, List.of("0"))))) {
            assertThat(c.reloadInterval()).isZero();
        }
        refused(null, Map.of("CI_JWT_RELOAD_INTERVAL", "50ms"), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessageContaining("50ms is below 100ms (0 turns reloading off)");
    }

    @Test
    void loadWhenVerifyCacheSizeIsZeroFromFileEnvOrFlagThenTheCacheIsOff() throws Exception {
        Path file = Files.writeString(dir.resolve("serve.yaml"), "verify_cache_size: 0\n");
        for (WebConfig c : List.of(
                WebConfigLoader.load(file, Map.of(), Map.of()),
                WebConfigLoader.load(null, Map.of("CI_JWT_VERIFY_CACHE_SIZE", "0"), Map.of()),
                WebConfigLoader.load(null, Map.of(), Map.of(Setting.VERIFY_CACHE_SIZE, List.of("0"))))) {
            assertThat(c.verifyCacheSize()).isZero();
        }
        refused(null, Map.of("CI_JWT_VERIFY_CACHE_SIZE", "-1"), Map.of(), ErrorCode.SETTING_INVALID)
                .hasMessageContaining("-1 is outside 0..1000000 (0 turns it off)");
    }

    @Test
    void loadWhenAValueIsWrongThenTheMessageNeverQuotesIt() throws Exception {
        for (Setting s : Setting.values()) {
            if (s == Setting.KEYS || s == Setting.KEY_ID || s.kind() == Setting.Kind.FILE || s.kind().isList()
                    || s == Setting.ISSUER) {
                continue; // any text is valid for these (what it names is checked where it is used); the issuer is in every token
            }
            CiJwtException e = assertThrows(CiJwtException.class, () -> WebConfigLoader.load(null, Map.of(s.envVar(), SECRET), Map.of()),
                    s.key());
            assertThat(e.getMessage()).as(s.key()).startsWith("setting " + s.key() + ":").doesNotContain(SECRET);
        }
        Path file = Files.writeString(dir.resolve("serve.yaml"), "leeway: [" + SECRET + "]\n");
        assertThat(assertThrows(CiJwtException.class, () -> WebConfigLoader.load(file, Map.of(), Map.of())).getMessage())
                .doesNotContain(SECRET).doesNotContain("Cannot");
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

    @Test
    void settingsWhenHeldAgainstTheBoundTypeThenEveryKeyBindsAndNoOtherDoes() {
        Set<String> table = Arrays.stream(Setting.values()).map(Setting::key).collect(Collectors.toSet());
        assertThat(ConfigBinder.keys(WebConfig.class)).isEqualTo(table);
    }

    @Test
    void settingsWhenTheirDefaultIsAValueThenLoadingThatValueChangesNothing() throws Exception {
        WebConfig defaults = WebConfigLoader.load(null, Map.of(), Map.of());
        for (Setting s : Setting.values()) {
            if (s.defaultText().startsWith("(") || s == Setting.KEYS) {
                continue; // no value (KEYS: without one, $CI_JWT_SIGNING_KEY_FILE and $CI_JWT_SIGNING_KEY come first)
            }
            assertThat(WebConfigLoader.load(null, Map.of(s.envVar(), s.defaultText()), Map.of())).as(s.key()).isEqualTo(defaults);
        }
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(Path file, Map<String, String> env,
            Map<Setting, List<String>> flags, ErrorCode code) {
        CiJwtException e = assertThrows(CiJwtException.class, () -> WebConfigLoader.load(file, env, flags));
        assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
        return assertThat(e);
    }
}
