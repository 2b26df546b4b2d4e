package org.cijwt.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.EphemeralKeySource;
import org.cijwt.keys.KeyCodec;
import org.cijwt.keys.KeyRing;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.vars.VarReference;
import org.cijwt.vars.VarResolutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding H1 of issue 9 against a real OpenBao with TLS: its {@code cert} auth method logs in
 * whoever presents the worker's client certificate, which the operator configures for the var
 * source. A pipeline must not be able to use that certificate as its own identity.
 */
class VaultHostIdentityIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ISSUER = "http://ci-jwt.test";
    private static final String AUDIENCE = "ci-jwt-host-identity-it";
    private static final String HOST_SECRET = "host-only-value";

    @TempDir
    static Path dir;

    private static OpenBaoServer bao;
    private static TestPki.Issued hostCertificate;
    private static TestPki.PemFiles host;
    private static KeyRing ring;
    private static BuildMetadata build;
    private static VaultOperatorSettings operator;

    @BeforeAll
    static void startTlsOpenBao() throws Exception {
        Assume.openBao();
        bao = OpenBaoServer.startTls(dir.resolve("bao"));
        TestPki.Issued hostCa = TestPki.ca("worker CA");
        hostCertificate = TestPki.client(hostCa, "worker-host");
        host = hostCertificate.written(dir, "host");
        ring = new EphemeralKeySource(Set.of(SigningAlgorithm.ES256)).load();
        build = BuildMetadata.fromJson(TestKeys.metadata("use-vars"), "use-vars");

        bao.apiOk("POST", "sys/mounts/concourse", "{\"type\":\"kv\",\"options\":{\"version\":\"2\"}}");
        policy("use-vars", "concourse/data/main/use-vars-pipeline/*");
        policy("host", "concourse/data/host-only/*");
        secret("main/use-vars-pipeline/some_secret", "hello-im-a-username");
        secret("host-only/db", HOST_SECRET);

        bao.apiOk("POST", "sys/auth/concourse", "{\"type\":\"jwt\"}");
        ObjectNode jwt = JSON.createObjectNode().put("bound_issuer", ISSUER);
        jwt.putArray("jwt_validation_pubkeys").add(KeyCodec.publicPem(ring.requireSigner(SigningAlgorithm.ES256).entry()));
        bao.apiOk("POST", "auth/concourse/config", jwt.toString());
        ObjectNode role = JSON.createObjectNode().put("role_type", "jwt").put("user_claim", "sub")
                .put("token_ttl", "5m");
        role.putArray("bound_audiences").add(AUDIENCE);
        role.putObject("bound_claims").put("team", "main").put("pipeline", "use-vars-pipeline");
        role.putArray("token_policies").add("use-vars");
        bao.apiOk("POST", "auth/concourse/role/example", role.toString());

        // The operator's own use of the worker certificate: cert auth trusts it with the host policy.
        bao.apiOk("POST", "sys/auth/cert", "{\"type\":\"cert\"}");
        bao.apiOk("POST", "auth/cert/certs/worker", JSON.createObjectNode()
                .put("certificate", hostCertificate.certificatePem()).put("token_policies", "host").toString());

        operator = VaultOperatorSettings.builder().allowAddress(bao.address()).allowAuthPath("concourse")
                .caCertFile(bao.caCertificate())
                .clientCertificateFiles(host.certificate(), host.privateKey()).build();
    }

    @AfterAll
    static void stop() {
        if (bao != null) {
            bao.close();
        }
    }

    private static void policy(String name, String path) throws Exception {
        bao.apiOk("PUT", "sys/policies/acl/" + name, JSON.createObjectNode()
                .put("policy", "path \"" + path + "\" { capabilities = [\"read\"] }").toString());
    }

    private static void secret(String path, String value) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("data").put("value", value);
        bao.apiOk("POST", "concourse/data/" + path, body.toString());
    }

    private static VaultVarSourceConfig pipelineEntry(String authPath, String extra) throws CiJwtException {
        return VaultVarSourceConfig.fromPipelineYaml("""
                var_sources:
                - name: hvjwt
                  type: vault
                  config:
                    url: %s
                    auth_path: %s
                    auth_role: example
                    audience: %s
                    lookup_templates: ["/host-only/{{.Secret}}", "/{{.Team}}/{{.Pipeline}}/{{.Secret}}"]
                """.formatted(bao.address(), authPath, AUDIENCE) + extra.indent(4)).get(0);
    }

    private static VaultJwtVarSource source(AdmittedVarSource admitted) throws CiJwtException {
        return new VaultJwtVarSource(admitted, new TokenMinter(() -> ring, Clock.systemUTC()),
                ClaimsPolicy.builder().issuer(ISSUER).audience("x").build(), Clock.systemUTC());
    }

    @Test
    void admitWhenPipelineAsksForAuthPathCertThenRefusedAlthoughTheHostCertificateLogsInThere() throws Exception {
        // The threat is real on this server: the worker's certificate alone logs in at auth/cert and reads the host's secret.
        HttpClient asHost = bao.clientPresenting(hostCertificate.keys().getPrivate(), hostCertificate.certificate());
        OpenBaoServer.Response login = bao.api(asHost, "POST", "auth/cert/login", "{}", null);
        assertThat(login.status()).isEqualTo(200);
        String hostToken = login.json().path("auth").path("client_token").asText();
        assertThat(bao.api(asHost, "GET", "concourse/data/host-only/db", null, hostToken).body()).contains(HOST_SECRET);

        for (String authPath : new String[] {"cert", "/auth/cert/login", "auth//cert"}) {
            VaultVarSourceConfig attack = pipelineEntry(authPath, "");

            assertThatThrownBy(() -> operator.admit(attack)).as(authPath)
                    .isInstanceOfSatisfying(CiJwtException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.SETTING_INVALID))
                    .hasMessageStartingWith("var_sources[0].config.auth_path: with its namespace is not an auth mount"
                            + " the operator allows");
        }
    }

    @Test
    void loadWhenPipelineNamesTheHostCertificateFilesThenRefusedBeforeAnyConnection() {
        assertThatThrownBy(() -> pipelineEntry("cert", "client_cert: " + host.certificate() + "\nclient_key: "
                + host.privateKey() + "\n"))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SETTING_INVALID))
                .hasMessageStartingWith("var_sources[0].config.client_cert: must be PEM text");
    }

    @Test
    void lookupWhenTheOperatorPresentsTheHostCertificateThenTheBuildsJwtLoginStillDecidesWhatItReads() throws Exception {
        try (VaultJwtVarSource source = source(operator.admit(pipelineEntry("/auth/concourse", "")))) {
            JsonNode own = (JsonNode) source.lookup(VarReference.of("hvjwt", "some_secret"), build).orElseThrow();
            assertThat(own.asText()).isEqualTo("hello-im-a-username");

            assertThatThrownBy(() -> source.lookup(VarReference.of("hvjwt", "db"), build))
                    .isInstanceOfSatisfying(VarResolutionException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.VAULT_SECRET_NOT_FOUND))
                    .hasMessageContaining("denied reading 'concourse/data/host-only/db'")
                    .hasMessageNotContaining(HOST_SECRET);
        }
    }
}
