package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.KeySources;
import org.cijwt.tokens.TokenMinter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Transit over HTTPS: the operator's CA, and a TLS client certificate that logs in with the cert auth method. */
class TransitTlsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path temp;

    private static OpenBaoServer bao;
    private static TransitLab lab;

    @BeforeAll
    static void start() throws Exception {
        Assume.openBao();
        bao = OpenBaoServer.startTls(temp.resolve("bao"));
        lab = TransitLab.of(bao);
        lab.mountTransit();
        lab.createKey("tls", "ed25519");
    }

    @AfterAll
    static void stop() throws Exception {
        if (bao != null) {
            bao.close();
        }
    }

    private static KeySource source(Map<String, String> env) throws CiJwtException {
        return KeySources.resolve("transit:transit/tls", KeySources.Options.defaults().withEnv(env));
    }

    private static void mint(KeyRing ring) throws Exception {
        new TokenMinter(() -> ring, Clock.systemUTC()).mint(BuildMetadata.fromJson(TestKeys.metadata("main"), "main"),
                ClaimsPolicy.builder().audience("tls").algorithm(SigningAlgorithm.EdDSA).build());
    }

    @Test
    void mintWhenOperatorCaIsGivenThenHttpsWorks() throws Exception {
        Map<String, String> env = TransitLab.env(bao.address().toString(), lab.signerToken("tls", Duration.ofMinutes(10)), null);
        env.put("VAULT_CACERT", bao.caCertificate().toString());

        mint(source(env).load());
    }

    @Test
    void loadWhenServerCertificateIsNotTrustedThenOneLineSaysTlsFailedAtOnce() throws Exception {
        Map<String, String> env = TransitLab.env(bao.address().toString(), lab.signerToken("tls", Duration.ofMinutes(10)), null);
        KeySource source = source(env);

        long started = System.nanoTime();
        assertThatThrownBy(source::load)
                .isInstanceOfSatisfying(CiJwtException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.KEY_SERVICE_FAILED);
                    assertThat(e.getMessage()).startsWith("Vault at " + bao.address() + ": reading transit key transit/tls"
                            + " failed: TLS failed").contains("(1 attempt in").doesNotContain("\n");
                });
        // Not retried: a certificate that is not trusted will not become trusted by asking again.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(TransitSettings.DEFAULT_TIMEOUT);
    }

    @Test
    void mintWhenCertAuthThenTheClientCertificateLogsInAndSigns() throws Exception {
        TestCertificates client = TestCertificates.selfSigned("ci-jwt-signer");
        Path certFile = Files.writeString(temp.resolve("client.pem"), client.certificatePem());
        // An EC key: not a kind the Vault Java Driver's SslConfig reads (it takes RSA keys only).
        Path keyFile = Files.writeString(temp.resolve("client-key.pem"), client.privateKeyPem());
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        bao.apiOk("POST", "sys/auth/cert", "{\"type\":\"cert\"}");
        bao.apiOk("POST", "auth/cert/certs/ci-jwt", JSON.createObjectNode().put("certificate", client.certificatePem())
                .put("token_ttl", "10m").put("token_policies", lab.signerPolicy("tls")).toString());
        Path settings = Files.writeString(temp.resolve("transit.yml"), """
                ca_cert_file: %s
                client_cert_file: %s
                client_key_file: %s
                auth: {method: cert, role: ci-jwt}
                """.formatted(bao.caCertificate(), certFile, keyFile));

        TransitKeySource source = (TransitKeySource) source(TransitLab.env(bao.address().toString(), null, settings));
        mint(source.load());

        assertThat(source.tokens().logins()).isEqualTo(1);
        source.close();
    }
}
