package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.cijwt.fixtures.launch.OpenBaoAdmin;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.RelyingParties;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.LoopbackPorts;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet on loopback: one OpenBao, two signer processes ({@code ci-jwt mint}) and two
 * {@code ci-jwt serve} processes, all on {@code --keys transit:transit/fleet}. Both servers publish
 * byte-identical JWKS; every token from either signer is active at both introspection endpoints,
 * verifies with PyJWT and jose through discovery, and logs in to OpenBao's own JWT auth. The key is
 * rotated in the middle: older tokens stay valid, newer ones carry the new version's kid, and no
 * request in between fails. Last, OpenBao hangs: {@code serve} keeps its keys and says so in
 * {@code /readyz}, and recovers when OpenBao does.
 */
class TransitFleetIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AUDIENCE = "fleet-vault";

    @TempDir
    Path temp;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicInteger runs = new AtomicInteger();

    /** A token and the kid its header names. */
    private record Minted(String token, String kid, String signer) {
    }

    @Test
    void fleetWhenKeyRotatesMidRunThenServersAgreeEveryTokenIsAcceptedEverywhereAndNothingFails() throws Exception {
        Assume.openBao();
        RelyingParties.assumePythonTools();
        RelyingParties.assumeNodeTools();
        List<Process> servers = new ArrayList<>();
        try (OpenBaoServer bao = OpenBaoServer.start()) {
            TransitLab lab = TransitLab.of(bao);
            lab.mountTransit();
            lab.createKey("fleet", "ecdsa-p256");
            Path settings = Files.writeString(temp.resolve("transit.yml"),
                    "timeout: 5s\npoll_interval: 1s\npublish_ahead: 4s\nmax_token_ttl: 10m\n");
            Map<String, String> signerEnv = TransitLab.env(bao.address().toString(),
                    lab.signerToken("fleet", Duration.ofHours(1)), settings);
            // A serve process only reads the key: the second rule of docs/transit.md's policy alone.
            Map<String, String> serveEnv = TransitLab.env(bao.address().toString(), readOnlyToken(bao), settings);
            int port1 = LoopbackPorts.free();
            int port2 = LoopbackPorts.free();
            String issuer = "http://127.0.0.1:" + port1;
            URI serve1 = URI.create(issuer);
            URI serve2 = URI.create("http://127.0.0.1:" + port2);
            servers.add(serve(serveEnv, issuer, port1, "serve-1"));
            servers.add(serve(serveEnv, issuer, port2, "serve-2"));
            awaitReady(serve1, servers.get(0));
            awaitReady(serve2, servers.get(1));
            Path metadata = TestKeys.metadataFile("main", temp);
            OpenBaoAdmin admin = new OpenBaoAdmin(bao.address(), bao.rootToken());
            admin.enableJwtAuth("ci-fleet");
            admin.trustIssuerByDiscovery("ci-fleet", issuer);
            admin.writeRole("ci-fleet", new OpenBaoAdmin.JwtRole("build", AUDIENCE, Map.of("team", "main"),
                    List.of("default"), Duration.ofMinutes(5)));

            List<Minted> before = mintWithBoth(signerEnv, metadata, issuer);
            String oldKid = before.get(0).kid();
            assertThat(before).extracting(Minted::kid).containsOnly(oldKid);
            assertThat(jwks(serve1)).isEqualTo(jwks(serve2));
            for (Minted m : before) {
                acceptedEverywhere(m, serve1, serve2, issuer, bao);
            }

            lab.rotate("fleet");
            List<Minted> during = new ArrayList<>();
            long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (during.stream().filter(m -> !m.kid().equals(oldKid)).count() < 2) {
                assertThat(System.nanoTime() - end).as("no token with the new kid within 2 minutes").isNegative();
                for (Minted m : mintWithBoth(signerEnv, metadata, issuer)) {
                    during.add(m);
                    assertThat(introspect(serve1, m.token()).path("active").asBoolean()).as(m.signer()).isTrue();
                    assertThat(introspect(serve2, m.token()).path("active").asBoolean()).as(m.signer()).isTrue();
                }
            }
            String newKid = during.get(during.size() - 1).kid();
            assertThat(newKid).isNotEqualTo(oldKid);
            assertThat(during).extracting(Minted::kid).containsOnly(oldKid, newKid);
            String published = jwks(serve1);
            assertThat(published).contains(oldKid, newKid);
            assertThat(jwks(serve2)).isEqualTo(published);
            for (Minted m : before) {
                assertThat(introspect(serve1, m.token()).path("active").asBoolean()).isTrue();
                assertThat(introspect(serve2, m.token()).path("active").asBoolean()).isTrue();
            }
            acceptedEverywhere(during.get(during.size() - 1), serve1, serve2, issuer, bao);

            bao.pause();
            try {
                JsonNode ready = awaitReadyz(serve1, r -> r.has("last_reload_error"));
                assertThat(ready.path("status").asText()).isEqualTo("degraded");
                assertThat(ready.path("last_reload_error").asText()).startsWith("CJ209 Vault at " + bao.address());
                assertThat(jwks(serve1)).isEqualTo(published);
                assertThat(introspect(serve1, during.get(0).token()).path("active").asBoolean()).isTrue();
            } finally {
                bao.resume();
            }
            awaitReadyz(serve1, r -> !r.has("last_reload_error"));
        } finally {
            for (Process p : servers) {
                p.destroy();
            }
            for (Process p : servers) {
                p.waitFor();
            }
        }
    }

    private static String readOnlyToken(OpenBaoServer bao) throws Exception {
        bao.apiOk("POST", "sys/policies/acl/ci-jwt-serve", JSON.createObjectNode().put("policy",
                "path \"transit/keys/fleet\" {\n  capabilities = [\"read\"]\n}\n").toString());
        return bao.apiOk("POST", "auth/token/create", "{\"policies\":[\"ci-jwt-serve\"],\"ttl\":\"1h\"}")
                .json().path("auth").path("client_token").asText();
    }

    private Process serve(Map<String, String> env, String issuer, int port, String name) throws Exception {
        return CliProcess.builder(temp, name, env, "serve", "--listen", "127.0.0.1:" + port, "--issuer", issuer, "--audiences", AUDIENCE,
                "--keys", "transit:transit/fleet", "--reload-interval", "200ms", "--event-loops", "1").start();
    }

    /** Two signer processes at once, each minting one token. */
    private List<Minted> mintWithBoth(Map<String, String> env, Path metadata, String issuer) throws Exception {
        List<CompletableFuture<Minted>> both = new ArrayList<>();
        for (String signer : List.of("signer-a", "signer-b")) {
            both.add(CompletableFuture.supplyAsync(() -> mint(env, metadata, issuer, signer)));
        }
        List<Minted> out = new ArrayList<>();
        for (CompletableFuture<Minted> f : both) {
            out.add(f.get());
        }
        return out;
    }

    private Minted mint(Map<String, String> env, Path metadata, String issuer, String signer) {
        try {
            CliProcess.Result r = CliProcess.run(temp, signer + "-" + runs.incrementAndGet(), env, "mint",
                    "--keys", "transit:transit/fleet", "--metadata", metadata.toString(), "--audience", AUDIENCE,
                    "--issuer", issuer);
            assertThat(r.exit()).as(signer + ": " + r.err()).isZero();
            String header = new String(java.util.Base64.getUrlDecoder().decode(r.out().split("\\.")[0]), StandardCharsets.UTF_8);
            return new Minted(r.out(), JSON.readTree(header).path("kid").asText(), signer);
        } catch (Exception e) {
            throw new AssertionError(signer + " could not mint", e);
        }
    }

    private void acceptedEverywhere(Minted m, URI serve1, URI serve2, String issuer, OpenBaoServer bao) throws Exception {
        assertThat(introspect(serve1, m.token()).path("active").asBoolean()).isTrue();
        assertThat(introspect(serve2, m.token()).path("active").asBoolean()).isTrue();
        RelyingParties.verifyWithPyJwtDiscovery(URI.create(issuer), issuer, AUDIENCE, m.token()).assertAccepted();
        RelyingParties.verifyWithJoseDiscovery(URI.create(issuer), issuer, AUDIENCE, m.token()).assertAccepted();
        OpenBaoServer.Response login = bao.api("POST", "auth/ci-fleet/login",
                JSON.createObjectNode().put("role", "build").put("jwt", m.token()).toString(), null);
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        assertThat(login.json().path("auth").path("client_token").asText()).isNotEmpty();
    }

    private String jwks(URI server) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve("/.well-known/jwks.json"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private JsonNode introspect(URI server, String token) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve("/api/v1/tokens/introspect"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private void awaitReady(URI server, Process process) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (true) {
            assertThat(process.isAlive()).as("serve at " + server + " exited").isTrue();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve("/readyz"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                assertThat(System.nanoTime() - end).as("serve at " + server + " not ready within a minute").isNegative();
            }
            Thread.sleep(200);
        }
    }

    private JsonNode awaitReadyz(URI server, java.util.function.Predicate<JsonNode> condition) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (true) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve("/readyz"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(r.body());
            if (condition.test(body)) {
                return body;
            }
            assertThat(System.nanoTime() - end).as("readyz never showed the expected state: " + body).isNegative();
            Thread.sleep(250);
        }
    }
}
