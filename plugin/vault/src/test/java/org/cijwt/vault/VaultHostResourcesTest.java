package org.cijwt.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.testkit.TestBuilds;
import org.cijwt.testkit.TestKeyRings;
import org.cijwt.testkit.TestPolicies;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.vars.VarReference;
import org.cijwt.vars.VarResolutionException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Finding H1 of issue 9: a pipeline's var source must not make the worker read or present host
 * resources. The worker's client certificate is a root-only file pair here; the pipeline author's
 * server is a real HTTPS server on loopback that asks every client for a certificate and records it.
 */
class VaultHostResourcesTest {

    @TempDir
    static Path dir;

    private static TestPki.Issued operatorCa;
    private static TestPki.PemFiles host;
    private static Path operatorCaFile;
    private static TestPki.Issued attackerCa;
    private static final BuildMetadata BUILD = TestBuilds.useVars();

    @BeforeAll
    static void setUp() throws Exception {
        operatorCa = TestPki.ca("operator CA");
        host = TestPki.client(operatorCa, "worker-host").written(dir, "host");
        operatorCaFile = Files.writeString(dir.resolve("operator-ca.pem"), operatorCa.certificatePem());
        attackerCa = TestPki.ca("pipeline author's CA");
    }

    private static String pipeline(URI url, String extraConfig) {
        return """
                var_sources:
                - name: hvjwt
                  type: vault
                  config:
                    url: %s
                    auth_path: concourse
                    auth_role: example
                    retry_max: 0
                """.formatted(url) + extraConfig.indent(4) + "jobs: []\n";
    }

    private static VaultVarSourceConfig load(URI url, String extraConfig) throws CiJwtException {
        return VaultVarSourceConfig.fromPipelineYaml(pipeline(url, extraConfig)).get(0);
    }

    private static String block(String key, String pem) {
        return key + ": |\n" + pem.indent(2);
    }

    /** The worker's settings: the host certificate, presented to the operator's Vault at {@code allowed} only. */
    private static VaultOperatorSettings hostCertificateFor(URI allowed) throws CiJwtException {
        return VaultOperatorSettings.builder().allowAddress(allowed).allowAuthPath("concourse")
                .caCertFile(operatorCaFile).clientCertificateFiles(host.certificate(), host.privateKey()).build();
    }

    private static VaultJwtVarSource source(AdmittedVarSource admitted) throws CiJwtException {
        return new VaultJwtVarSource(admitted, new TokenMinter(TestKeyRings::signing, Clock.systemUTC()),
                TestPolicies.policy("http://ci-jwt.test", "replaced-by-config", SigningAlgorithm.ES256), Clock.systemUTC());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ca_cert", "client_cert", "client_key"})
    void loadWhenPipelineNamesAHostFileForTlsThenRefusedAsNotPemText(String key) {
        String extra = switch (key) {
            case "ca_cert" -> "ca_cert: " + operatorCaFile + "\n";
            default -> "client_cert: " + host.certificate() + "\nclient_key: " + host.privateKey() + "\n";
        };

        CiJwtException e = catchThrowableOfType(CiJwtException.class,
                () -> load(URI.create("https://127.0.0.1:8200"), extra));

        assertThat(e).as("a pipeline naming a host file is refused").isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.SETTING_INVALID);
        String first = key.equals("ca_cert") ? "ca_cert" : "client_cert";
        assertThat(e.getMessage()).startsWith("var_sources[0].config." + first + ": must be PEM text")
                .doesNotContain(dir.toString());
    }

    @Test
    void loadWhenPipelineNamesAHostFileThenTheErrorIsTheSameWhetherItExistsIsReadableOrHoldsPem() throws Exception {
        Path pemFile = Files.writeString(dir.resolve("readable-ca.pem"), operatorCa.certificatePem());
        List<String> candidates = List.of("/nonexistent", "/etc/shadow", "/etc/hostname", "/root", pemFile.toString(),
                host.privateKey().toString());
        List<String> messages = new ArrayList<>();
        for (String path : candidates) {
            CiJwtException e = catchThrowableOfType(CiJwtException.class,
                    () -> load(URI.create("https://127.0.0.1:8200"), "ca_cert: " + path + "\n"));
            assertThat(e).as(path).isNotNull();
            assertThat(e.code()).as(path).isEqualTo(ErrorCode.SETTING_INVALID);
            messages.add(e.getMessage());
        }

        assertThat(messages).as("one message for every path, so nothing tells which exist").containsOnly(messages.get(0));
        assertThat(messages.get(0)).doesNotContain("/etc").doesNotContain("nonexistent");
    }

    @Test
    void admitWhenPipelinePointsUrlAtItsOwnServerThenRefusedAndTheServerSeesNoHostCertificate() throws Exception {
        try (RecordingHttpsServer attacker = RecordingHttpsServer.start(TestPki.server(attackerCa))) {
            VaultOperatorSettings operator = hostCertificateFor(URI.create("https://vault.internal.test:8200"));
            VaultVarSourceConfig config = load(attacker.address(), block("ca_cert", attackerCa.certificatePem()));

            assertThatThrownBy(() -> operator.admit(config))
                    .isInstanceOfSatisfying(CiJwtException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.SETTING_INVALID))
                    .hasMessage("var_sources[0].config.url: is not a Vault address the operator allows on this worker"
                            + " (allowed_addresses: https://vault.internal.test:8200)");
            assertThat(attacker.seen()).isEmpty();
        }
    }

    @Test
    void admitWhenPipelineBringsItsOwnCaForAnAllowedAddressThenRefusedWhileTheHostPresentsACertificate()
            throws Exception {
        try (RecordingHttpsServer impostor = RecordingHttpsServer.start(TestPki.server(attackerCa))) {
            VaultOperatorSettings operator = hostCertificateFor(impostor.address());
            VaultVarSourceConfig config = load(impostor.address(), block("ca_cert", attackerCa.certificatePem()));

            assertThatThrownBy(() -> operator.admit(config))
                    .isInstanceOfSatisfying(CiJwtException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.OPTIONS_CONFLICT))
                    .hasMessageStartingWith("var_sources[0].config.ca_cert: cannot be used on this worker");
            assertThat(impostor.seen()).isEmpty();
        }
    }

    @Test
    void lookupWhenAnAllowedAddressIsNotVerifiedByTheOperatorsCaThenTheHandshakeFailsBeforeAnyCertificateIsSent()
            throws Exception {
        try (RecordingHttpsServer impostor = RecordingHttpsServer.start(TestPki.server(attackerCa))) {
            AdmittedVarSource admitted = hostCertificateFor(impostor.address()).admit(load(impostor.address(), ""));

            try (VaultJwtVarSource source = source(admitted)) {
                assertThatThrownBy(() -> source.lookup(VarReference.of("hvjwt", "x"), BUILD))
                        .isInstanceOfSatisfying(VarResolutionException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.VAULT_FAILED))
                        .hasMessageContaining("TLS failed");
            }
            assertThat(impostor.seen()).isEmpty();
        }
    }

    @Test
    void lookupWhenTheOperatorsVaultIsAllowedThenItAloneReceivesTheHostCertificate() throws Exception {
        try (RecordingHttpsServer vault = RecordingHttpsServer.start(TestPki.server(operatorCa))) {
            AdmittedVarSource admitted = hostCertificateFor(vault.address()).admit(load(vault.address(), ""));

            try (VaultJwtVarSource source = source(admitted)) {
                assertThatThrownBy(() -> source.lookup(VarReference.of("hvjwt", "x"), BUILD))
                        .isInstanceOfSatisfying(VarResolutionException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.VAULT_LOGIN_REFUSED))
                        .hasMessageContaining("recorded by the test server");
            }
            assertThat(vault.seen()).containsExactly(new RecordingHttpsServer.Seen("/v1/auth/concourse/login",
                    "CN=worker-host"));
        }
    }

    @Test
    void lookupWhenPipelineBringsItsOwnCertificateAsPemThenThatOneIsPresentedNotTheHosts() throws Exception {
        TestPki.Issued own = TestPki.client(attackerCa, "pipeline-own");
        try (RecordingHttpsServer vault = RecordingHttpsServer.start(TestPki.server(attackerCa))) {
            VaultVarSourceConfig config = load(vault.address(), block("ca_cert", attackerCa.certificatePem())
                    + block("client_cert", own.certificatePem()) + block("client_key", own.privateKeyPem()));
            AdmittedVarSource admitted = hostCertificateFor(vault.address()).admit(config);

            try (VaultJwtVarSource source = source(admitted)) {
                assertThatThrownBy(() -> source.lookup(VarReference.of("hvjwt", "x"), BUILD))
                        .isInstanceOfSatisfying(VarResolutionException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.VAULT_LOGIN_REFUSED));
            }
            assertThat(vault.seen()).extracting(RecordingHttpsServer.Seen::clientCertificateSubject)
                    .containsExactly("CN=pipeline-own");
        }
    }

    @ParameterizedTest(name = "auth_path {0}")
    @ValueSource(strings = {"cert", "/auth/cert/login", "approle", "concourse-admin"})
    void admitWhenAuthPathIsNotAnAllowedMountThenRefusedSoTheHostCertificateCannotLogIn(String authPath)
            throws Exception {
        URI vault = URI.create("https://vault.internal.test:8200");
        VaultVarSourceConfig config = VaultVarSourceConfig.fromPipelineYaml(pipeline(vault, "")
                .replace("auth_path: concourse", "auth_path: " + authPath)).get(0);

        assertThatThrownBy(() -> hostCertificateFor(vault).admit(config))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SETTING_INVALID))
                .hasMessage("var_sources[0].config.auth_path: with its namespace is not an auth mount the operator"
                        + " allows on this worker (allowed_auth_paths: concourse)");
    }

    @Test
    void admitWhenANamespaceWouldMoveTheAllowedMountElsewhereThenRefused() throws Exception {
        URI vault = URI.create("https://vault.internal.test:8200");
        VaultVarSourceConfig config = load(vault, "namespace: other-team\n");

        assertThat(config.qualifiedAuthPath()).isEqualTo("other-team/concourse");
        assertThatThrownBy(() -> hostCertificateFor(vault).admit(config))
                .hasMessageStartingWith("var_sources[0].config.auth_path: with its namespace is not an auth mount");
        assertThat(hostCertificateFor(vault).admit(load(vault, "namespace: /root\n")).config().qualifiedAuthPath())
                .isEqualTo("concourse");
    }

    @Test
    void admitWhenAddressIsWrittenDifferentlyThenItIsStillTheAllowedOne() throws Exception {
        VaultOperatorSettings operator = hostCertificateFor(URI.create("https://vault.internal.test"));

        AdmittedVarSource admitted = operator.admit(load(URI.create("HTTPS://Vault.Internal.Test:443/"), ""));

        assertThat(admitted.tls().clientCertificate()).isPresent();
        assertThat(admitted.tls().trustAnchors()).containsExactly(operatorCa.certificate());
    }
}
