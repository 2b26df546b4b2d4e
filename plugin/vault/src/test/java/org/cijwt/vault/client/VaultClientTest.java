package org.cijwt.vault.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.launch.LoopbackPorts;
import org.cijwt.keys.PemReader;
import org.cijwt.testkit.TestTls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parts of the one Vault client that need no Vault: paths, answers, the retry count, TLS material. */
class VaultClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PemReader.Failure FAILURE = rule -> new CiJwtException(ErrorCode.TLS_INVALID, "s: " + rule);

    @TempDir
    Path dir;

    private static VaultClient client(URI address, int attempts) throws CiJwtException {
        return new VaultClient(new VaultClient.Connection(address, Optional.empty(), TlsMaterial.NONE,
                Duration.ofSeconds(2), new VaultClient.Retries(attempts, Duration.ofMillis(10), Duration.ofMillis(40)),
                "test settings"));
    }

    @Test
    void encodePathWhenSegmentsHoldSpacesAndDotsThenEachIsEncodedAndSlashesStay() {
        assertThat(VaultClient.encodePath("concourse/data/main/secret with_spaces.etc"))
                .isEqualTo("concourse/data/main/secret%20with_spaces.etc");
        assertThat(VaultClient.encodePath("a/b?c#d%e")).isEqualTo("a/b%3Fc%23d%25e");
        assertThat(VaultClient.encodePath("main/{{.Secret}}/db")).isEqualTo("main/%7B%7B.Secret%7D%7D/db");
        assertThat(VaultClient.encodePath("transit/sign/ci-jwt")).isEqualTo("transit/sign/ci-jwt");
    }

    @Test
    void sendWhenNothingListensThenEveryAttemptIsMadeAndTheFailureNamesTheCallNotTheToken() throws Exception {
        VaultClient client = client(URI.create("http://127.0.0.1:" + LoopbackPorts.free() + "/"), 3);

        assertThatThrownBy(() -> client.send(VaultRequest.get("auth/token/lookup-self", "looking up the token"),
                "s.secret-token", Deadline.none()))
                .isInstanceOfSatisfying(VaultFailure.Unreachable.class, f -> {
                    assertThat(f.attempts()).isEqualTo(3);
                    assertThat(f.failure()).isEqualTo("connection refused");
                    assertThat(f.address()).doesNotEndWith("/");
                })
                .hasMessageStartingWith("Vault at " + client.address() + ": looking up the token failed: connection"
                        + " refused (3 attempts in ")
                .hasMessageNotContaining("s.secret-token")
                .hasMessageNotContaining("timeout");
        assertThat(client.requestCount()).isEqualTo(3);
    }

    @Test
    void sendWhenTheDeadlineLeavesNoRoomForAnotherWaitThenItStopsAndSaysTheTimeout() throws Exception {
        VaultClient client = new VaultClient(new VaultClient.Connection(
                URI.create("http://127.0.0.1:" + LoopbackPorts.free()), Optional.empty(), TlsMaterial.NONE,
                Duration.ofSeconds(1), VaultClient.Retries.untilDeadline(Duration.ofMillis(100), Duration.ofSeconds(1)),
                "test settings"));

        long started = System.nanoTime();
        assertThatThrownBy(() -> client.send(VaultRequest.get("transit/keys/k", "reading transit key transit/k"), null,
                Deadline.after(Duration.ofMillis(1500))))
                .isInstanceOfSatisfying(VaultFailure.Unreachable.class, f -> assertThat(f.attempts()).isPositive())
                .hasMessageStartingWith("Vault at " + client.address() + ": reading transit key transit/k failed: ")
                .hasMessageEndingWith(", timeout 1.5 s)");
        // Backoffs of 0.1, 0.2, 0.4 and 0.8 s would end past the deadline: the last is not waited for.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(1500 + 800));
    }

    @Test
    void answerWhenVaultGivesErrorsThenOneLineEachAndTheStatusWhenItGivesNone() throws Exception {
        VaultAnswer denied = new VaultAnswer(403, JSON.readTree("{\"errors\":[\"1 error occurred:\\n\\t* permission"
                + " denied\\n\\n\",\"second\"]}"));
        VaultAnswer bare = new VaultAnswer(502, JSON.createObjectNode());

        assertThat(denied.ok()).isFalse();
        assertThat(denied.reason()).isEqualTo("permission denied; second");
        assertThat(denied.statusAndErrors()).isEqualTo("HTTP 403 permission denied; second");
        assertThat(bare.reason()).isEqualTo("HTTP 502");
        assertThat(bare.statusAndErrors()).isEqualTo("HTTP 502");
        assertThat(new VaultAnswer(204, JSON.createObjectNode()).ok()).isTrue();
    }

    @Test
    void requestWhenPrintedThenMethodAndPathOnlyNeverTheBody() {
        VaultRequest login = VaultRequest.post("auth/approle/login",
                JSON.createObjectNode().put("secret_id", "the-secret-id"), "AppRole login");

        assertThat(login.toString()).isEqualTo("POST /v1/auth/approle/login");
        assertThat(login.eachWithin(Duration.ofSeconds(3)).attemptTimeout()).contains(Duration.ofSeconds(3));
        assertThatThrownBy(() -> new VaultRequest("DELETE", "x", null, "x", Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tlsMaterialWhenTheKeyIsNotTheCertificatesThenRefusedNamingBothSettings() throws Exception {
        TestTls tls = TestTls.write(dir);
        List<X509Certificate> chain = PemReader.readCertificates(tls.cert(), FAILURE);
        PrivateKey own = PemReader.readPrivateKey(tls.key(), "s", FAILURE);
        PrivateKey other = PemReader.readPrivateKey(tls.otherKey(), "s", FAILURE);

        TlsMaterial.ClientCertificate client = TlsMaterial.ClientCertificate.of(chain, own, FAILURE, "cert setting");
        assertThat(client.toString()).contains("key=<redacted>").doesNotContain("PRIVATE");
        assertThat(new TlsMaterial(chain, Optional.of(client)).sslContext("s")).isPresent();
        assertThat(TlsMaterial.NONE.sslContext("s")).isEmpty();
        assertThatThrownBy(() -> TlsMaterial.ClientCertificate.of(chain, other, FAILURE, "cert setting"))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TLS_INVALID))
                .hasMessage("s: is not the private key of the first certificate in cert setting");
    }
}
