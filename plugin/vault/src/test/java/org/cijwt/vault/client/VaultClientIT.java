package org.cijwt.vault.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The one Vault client and its token keeper against a real OpenBao: what is retried and what is
 * not, a token replaced when Vault stops accepting it, due tokens renewed or replaced by a login,
 * and refusals that name the login but never its credentials.
 */
class VaultClientIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static OpenBaoServer bao;
    private static String roleId;
    private static String secretId;

    @BeforeAll
    static void startOpenBao() throws Exception {
        Assume.openBao();
        bao = OpenBaoServer.start();
        bao.apiOk("POST", "sys/mounts/kv", "{\"type\":\"kv\",\"options\":{\"version\":\"1\"}}");
        bao.apiOk("POST", "kv/allowed", "{\"value\":\"v\"}");
        bao.apiOk("POST", "sys/policies/acl/kv-allowed",
                JSON.createObjectNode().put("policy", "path \"kv/allowed\" { capabilities = [\"read\"] }").toString());
        bao.apiOk("POST", "sys/auth/approle", "{\"type\":\"approle\"}");
        bao.apiOk("POST", "auth/approle/role/client-it", "{\"token_ttl\":\"60s\",\"token_max_ttl\":\"10m\","
                + "\"token_policies\":[\"kv-allowed\"]}");
        roleId = bao.apiOk("GET", "auth/approle/role/client-it/role-id", null).json().path("data").path("role_id").asText();
        secretId = bao.apiOk("POST", "auth/approle/role/client-it/secret-id", null).json().path("data")
                .path("secret_id").asText();
    }

    @AfterAll
    static void stopOpenBao() {
        if (bao != null) {
            bao.stop();
        }
    }

    private static VaultClient client(OpenBaoServer server, int attempts) throws Exception {
        return new VaultClient(new VaultClient.Connection(server.address(), Optional.empty(), TlsMaterial.NONE,
                Duration.ofSeconds(2), new VaultClient.Retries(attempts, Duration.ofMillis(20), Duration.ofMillis(80)),
                "test settings"));
    }

    private static VaultTokens appRole(VaultClient client, String secret, boolean renew, Clock clock) {
        return new VaultTokens(client, new VaultTokens.Login("auth/approle/login",
                () -> JSON.createObjectNode().put("role_id", roleId).put("secret_id", secret), renew,
                "AppRole login at auth/approle", Optional.empty()), clock, TIMEOUT, false);
    }

    @Test
    void sendWhenVaultAnswersA4xxThenItIsTheCallersAnswerAtOnceNotRetried() throws Exception {
        VaultClient client = client(bao, 4);

        VaultAnswer answer = client.send(VaultRequest.get("kv/allowed", "reading kv/allowed"), "not-a-token",
                Deadline.after(TIMEOUT));

        assertThat(answer.status()).isEqualTo(403);
        assertThat(answer.reason()).contains("permission denied");
        assertThat(client.requestCount()).isEqualTo(1);
    }

    @Test
    void sendWhenVaultIsSealedThenThe503IsRetriedUntilTheAttemptsRunOut() throws Exception {
        OpenBaoServer sealed = OpenBaoServer.start();
        try {
            sealed.apiOk("PUT", "sys/seal", null);
            VaultClient client = client(sealed, 3);

            assertThatThrownBy(() -> client.send(VaultRequest.get("kv/allowed", "reading kv/allowed"),
                    sealed.rootToken(), Deadline.after(TIMEOUT)))
                    .isInstanceOfSatisfying(VaultFailure.Unreachable.class, f -> {
                        assertThat(f.attempts()).isEqualTo(3);
                        assertThat(f.failure()).startsWith("Vault answered HTTP 503");
                    })
                    .hasMessageNotContaining(sealed.rootToken());
            assertThat(client.requestCount()).isEqualTo(3);
        } finally {
            sealed.stop();
        }
    }

    @Test
    void callWhenTheTokenIsRevokedAfterVaultAcceptedItThenOneLoginReplacesItAndTheCallIsMadeAgain() throws Exception {
        VaultTokens tokens = appRole(client(bao, 1), secretId, true, Clock.systemUTC());
        VaultRequest read = VaultRequest.get("kv/allowed", "reading kv/allowed");
        assertThat(tokens.call(read, Deadline.after(TIMEOUT)).ok()).isTrue();

        String first = tokens.token(Deadline.after(TIMEOUT));
        bao.apiOk("POST", "auth/token/revoke", JSON.createObjectNode().put("token", first).toString());

        VaultAnswer again = tokens.call(read, Deadline.after(TIMEOUT));
        assertThat(again.ok()).isTrue();
        assertThat(again.json().path("data").path("value").asText()).isEqualTo("v");
        assertThat(tokens.logins()).isEqualTo(2);
        assertThat(tokens.token(Deadline.after(TIMEOUT))).isNotEqualTo(first);
    }

    @Test
    void callWhenVaultRefusesATokenItNeverAcceptedThenThatIsTheAnswerWithoutASecondLogin() throws Exception {
        VaultTokens tokens = appRole(client(bao, 1), secretId, true, Clock.systemUTC());

        VaultAnswer denied = tokens.call(VaultRequest.get("kv/elsewhere", "reading kv/elsewhere"), Deadline.after(TIMEOUT));

        assertThat(denied.status()).isEqualTo(403);
        assertThat(tokens.logins()).isEqualTo(1);
    }

    @Test
    void tokenWhenTwoThirdsOfTheLeaseHavePassedThenRenewedOrReplacedByALoginAsTheSourceSays() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        VaultTokens renewing = appRole(client(bao, 1), secretId, true, clock);
        VaultTokens relogging = appRole(client(bao, 1), secretId, false, clock);
        String renewed = renewing.token(Deadline.after(TIMEOUT));
        String replaced = relogging.token(Deadline.after(TIMEOUT));

        clock.advance(Duration.ofSeconds(30));
        assertThat(renewing.token(Deadline.after(TIMEOUT))).isEqualTo(renewed);
        assertThat(relogging.token(Deadline.after(TIMEOUT))).isEqualTo(replaced);

        clock.advance(Duration.ofSeconds(11));
        assertThat(renewing.token(Deadline.after(TIMEOUT))).isEqualTo(renewed);
        assertThat(renewing.renewals()).isEqualTo(1);
        assertThat(renewing.logins()).isEqualTo(1);
        assertThat(relogging.token(Deadline.after(TIMEOUT))).isNotEqualTo(replaced);
        assertThat(relogging.renewals()).isZero();
        assertThat(relogging.logins()).isEqualTo(2);
    }

    @Test
    void loginWhenVaultRefusesTheCredentialsThenTheFailureNamesTheLoginButNotTheSecretId() throws Exception {
        String wrong = "00000000-1111-2222-3333-444444444444";
        VaultTokens tokens = appRole(client(bao, 3), wrong, true, Clock.systemUTC());

        assertThatThrownBy(() -> tokens.token(Deadline.after(TIMEOUT)))
                .isInstanceOfSatisfying(VaultFailure.Refused.class, f -> assertThat(f.status()).isEqualTo(400))
                .hasMessageStartingWith("Vault at " + bao.address() + " refused the AppRole login at auth/approle: HTTP 400")
                .hasMessageNotContaining(wrong)
                .hasMessageNotContaining(roleId);
        assertThat(tokens.logins()).isZero();
    }
}
