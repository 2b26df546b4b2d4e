package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.fixtures.launch.OpenBaoAdmin;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.LoopbackPorts;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.EphemeralKeySource;
import org.cijwt.keys.KeyCodec;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySources;
import org.cijwt.tokens.TokenMinter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * How the Transit signer gets and keeps its Vault token, against a real OpenBao: a token file, an
 * AppRole login, a JWT login (the request the Kubernetes auth method takes), renewal before expiry
 * and a new login at the max TTL; no token or secret id in any log line.
 */
class TransitAuthIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "auth";

    private static OpenBaoServer bao;
    private static TransitLab lab;
    private static BuildMetadata build;

    @TempDir
    Path temp;

    private ListAppender<ILoggingEvent> logs;
    private Logger cijwt;
    private Level levelBefore;

    @BeforeAll
    static void startOpenBao() throws Exception {
        Assume.openBao();
        bao = OpenBaoServer.start();
        lab = TransitLab.of(bao);
        lab.mountTransit();
        lab.createKey(KEY, "ed25519");
        build = BuildMetadata.fromJson(TestKeys.metadata("main"), "main");
    }

    @AfterAll
    static void stopOpenBao() {
        if (bao != null) {
            bao.stop();
        }
    }

    @BeforeEach
    void captureLogs() {
        cijwt = (Logger) LoggerFactory.getLogger("org.cijwt");
        levelBefore = cijwt.getLevel();
        cijwt.setLevel(Level.DEBUG);
        logs = new ListAppender<>();
        logs.start();
        cijwt.addAppender(logs);
        // Captured, not printed: the console stays at the tests' usual WARN.
        cijwt.setAdditive(false);
    }

    @AfterEach
    void stopCapturing() {
        cijwt.detachAppender(logs);
        cijwt.setAdditive(true);
        cijwt.setLevel(levelBefore);
    }

    private void assertLogsHoldNone(String... secrets) {
        assertThat(logs.list).isNotEmpty();
        for (ILoggingEvent e : logs.list) {
            for (String secret : secrets) {
                assertThat(e.getFormattedMessage()).doesNotContain(secret);
            }
        }
    }

    private TransitKeySource source(String token, String yaml) throws Exception {
        Path settings = yaml == null ? null : Files.writeString(temp.resolve("transit.yml"), yaml);
        return (TransitKeySource) KeySources.resolve("transit:transit/" + KEY, KeySources.Options.defaults()
                .withEnv(TransitLab.env(bao.address().toString(), token, settings)));
    }

    private static void mint(KeyRing ring) throws CiJwtException {
        new TokenMinter(() -> ring, Clock.systemUTC()).mint(build,
                ClaimsPolicy.builder().audience("auth-it").algorithm(SigningAlgorithm.EdDSA).build());
    }

    /** Mints every 250 ms for {@code d}, loading the ring each time as a one-shot process would; any failure fails. */
    private static int mintFor(TransitKeySource source, Duration d) throws Exception {
        int n = 0;
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() - end < 0) {
            mint(source.load());
            n++;
            Thread.sleep(250);
        }
        return n;
    }

    private Path secretFile(String name, String value) throws Exception {
        Path f = Files.writeString(temp.resolve(name), value + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    @Test
    void mintWhenTokenFileIsReplacedThenTheNewTokenIsReadAndTheRevokedOneNeverUsedAgain() throws Exception {
        String first = lab.signerToken(KEY, Duration.ofMinutes(10));
        String second = lab.signerToken(KEY, Duration.ofMinutes(10));
        Path file = secretFile("vault-token", first);
        TransitKeySource source = source(null, "auth: {method: token, token_file: " + file + "}\n");
        mint(source.load());

        bao.apiOk("POST", "auth/token/revoke", "{\"token\":\"" + first + "\"}");
        Files.writeString(file, second + "\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));

        mint(source.load());
        assertLogsHoldNone(first, second);
        source.close();
    }

    @Test
    void loadWhenTokenFileIsReadableByOthersThenRefusedWithTheChmod() throws Exception {
        Path file = Files.writeString(temp.resolve("vault-token"), "s.whatever\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        TransitKeySource source = source(null, "auth: {method: token, token_file: " + file + "}\n");

        assertThatThrownBy(source::load)
                .isInstanceOfSatisfying(CiJwtException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.KEY_FILE_PERMISSIONS);
                    assertThat(e.getMessage()).contains(file.toString(), "chmod 600").doesNotContain("s.whatever");
                });
    }

    @Test
    void mintWhenAppRoleTokenIsShortLivedThenItIsRenewedThenReplacedByANewLoginAndNoMintFails() throws Exception {
        bao.apiOk("POST", "sys/auth/approle", "{\"type\":\"approle\"}");
        ObjectNode role = JSON.createObjectNode().put("token_ttl", "4s").put("token_max_ttl", "10s")
                .put("token_policies", lab.signerPolicy(KEY));
        bao.apiOk("POST", "auth/approle/role/ci-jwt", role.toString());
        String roleId = bao.apiOk("GET", "auth/approle/role/ci-jwt/role-id", null).json().path("data").path("role_id").asText();
        String secretId = bao.apiOk("POST", "auth/approle/role/ci-jwt/secret-id", null).json().path("data")
                .path("secret_id").asText();
        Path secretIdFile = secretFile("secret-id", secretId);
        TransitKeySource source = source(null, "auth: {method: approle, role_id: " + roleId + ", secret_id_file: "
                + secretIdFile + "}\n");

        int mints = mintFor(source, Duration.ofSeconds(14));

        assertThat(mints).isGreaterThan(20);
        assertThat(source.tokens().renewals()).isGreaterThanOrEqualTo(1);
        // 14 s of a token that lives at most 10 s: at least one more login than the first.
        assertThat(source.tokens().logins()).isGreaterThanOrEqualTo(2);
        assertLogsHoldNone(secretId);
        source.close();
    }

    @Test
    void mintWhenOperatorTokenIsShortLivedThenTheDaemonRenewsIt() throws Exception {
        String token = lab.signerToken(KEY, Duration.ofSeconds(4));
        TransitKeySource source = source(token, null);

        mintFor(source, Duration.ofSeconds(7));

        assertThat(source.tokens().renewals()).isGreaterThanOrEqualTo(1);
        assertLogsHoldNone(token);
        source.close();
    }

    @Test
    void mintWhenJwtLoginThenTheKubernetesShapedRequestLogsInWithTheTokenFromTheFile() throws Exception {
        // No Kubernetes API server runs here, so OpenBao's JWT auth method, which takes the same
        // request (role and jwt), checks the "service-account token" against a pinned key.
        KeyRing cluster = new EphemeralKeySource(Set.of(SigningAlgorithm.ES256)).load();
        OpenBaoAdmin admin = new OpenBaoAdmin(bao.address(), bao.rootToken());
        admin.enableJwtAuth("ci-k8s");
        admin.trustPublicKeys("ci-k8s", "https://kubernetes.default.svc",
                List.of(KeyCodec.publicPem(cluster.requireSigner(SigningAlgorithm.ES256).entry())));
        admin.writeRole("ci-k8s", new OpenBaoAdmin.JwtRole("ci-jwt", "vault", Map.of("team", "main"),
                List.of(lab.signerPolicy(KEY)), Duration.ofMinutes(5)));
        String saToken = new TokenMinter(() -> cluster, Clock.systemUTC()).mint(build, ClaimsPolicy.builder()
                .issuer("https://kubernetes.default.svc").audience("vault").build()).compact();
        Path jwtFile = Files.writeString(temp.resolve("sa-token"), saToken);

        for (String method : List.of("kubernetes", "jwt")) {
            TransitKeySource source = source(null, "auth: {method: " + method + ", mount: ci-k8s, role: ci-jwt, jwt_file: "
                    + jwtFile + "}\n");
            mint(source.load());
            assertThat(source.tokens().logins()).isEqualTo(1);
            source.close();
        }
        assertLogsHoldNone(saToken);
    }

    @Test
    void loadWhenKubernetesAuthCannotReviewTheTokenThenOneLineNamesTheLoginAndNotTheToken() throws Exception {
        bao.apiOk("POST", "sys/auth/kubernetes", "{\"type\":\"kubernetes\"}");
        // Nothing listens there: OpenBao cannot ask a Kubernetes API server to review the token.
        bao.apiOk("POST", "auth/kubernetes/config", "{\"kubernetes_host\":\"https://127.0.0.1:" + LoopbackPorts.free()
                + "\",\"disable_local_ca_jwt\":true,\"kubernetes_ca_cert\":"
                + JSON.writeValueAsString(TestCertificates.selfSigned("kubernetes").certificatePem()) + "}");
        bao.apiOk("POST", "auth/kubernetes/role/ci-jwt", "{\"bound_service_account_names\":[\"ci-jwt\"],"
                + "\"bound_service_account_namespaces\":[\"ci\"],\"token_policies\":[\"" + lab.signerPolicy(KEY) + "\"]}");
        String saToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6Y2k6Y2ktand0In0.c2ln";
        Path jwtFile = Files.writeString(temp.resolve("sa-token"), saToken);
        TransitKeySource source = source(null, "auth: {method: kubernetes, role: ci-jwt, jwt_file: " + jwtFile + "}\n");

        assertThatThrownBy(source::load)
                .isInstanceOfSatisfying(CiJwtException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.KEY_SERVICE_FAILED);
                    assertThat(e.getMessage()).startsWith("Vault at " + bao.address() + " refused the Kubernetes login at"
                            + " auth/kubernetes as role ci-jwt: HTTP ").doesNotContain(saToken, "\n");
                });
        source.close();
    }
}
