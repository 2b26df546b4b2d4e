package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWK;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.TestJwts;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyCodec;
import org.cijwt.keys.KeyEntry;
import org.cijwt.tokens.MintedToken;
import org.junit.jupiter.api.Test;

class IntrospectionEndpointTest extends ServerTestBase {

    @Test
    void introspectWhenTokenValidThenActiveWithClaimsKidAndAlg(VertxTestContext tc) throws Exception {
        List<Future<?>> all = new ArrayList<>();
        for (SigningAlgorithm alg : SigningAlgorithm.values()) {
            MintedToken token = mint(alg);
            all.add(introspect(token.compact()).map(answer -> {
                tc.verify(() -> {
                    assertThat(answer.getBoolean("active")).isTrue();
                    assertThat(answer.getString("kid")).isEqualTo(token.kid());
                    assertThat(answer.getString("alg")).isEqualTo(alg.jwaName());
                    assertThat(answer.getString("iss")).isEqualTo(ISSUER);
                    assertThat(answer.getString("team")).isEqualTo("main");
                    assertThat(answer.getLong("exp")).isEqualTo(token.expiresAt().getEpochSecond());
                    assertThat(answer.getString("jti")).isEqualTo(token.jti());
                    assertThat(answer.containsKey("reason")).isFalse();
                });
                return answer;
            }));
        }
        Future.all(all).onComplete(tc.succeedingThenComplete());
    }

    @Test
    void introspectWhenJsonBodyThenActiveAndNotCached(VertxTestContext tc) throws Exception {
        MintedToken token = mint(SigningAlgorithm.ES256);
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT)
                .sendJsonObject(new JsonObject().put("token", token.compact()).put("audience", AUDIENCE))
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(200);
                    assertThat(res.getHeader("Cache-Control")).isEqualTo("no-store");
                    assertThat(res.getHeader("Content-Type")).startsWith("application/json");
                    assertThat(res.bodyAsJsonObject().getBoolean("active")).isTrue();
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenSignedClaimsNameTheAnswersOwnMembersThenTheServerWritesThoseOnceAndKeepsTheRest(VertxTestContext tc) {
        // A validly signed token whose claims say active false, another kid and alg, and a reason.
        String token = forged(TestKeys.Alg.ES256).issuer(ISSUER).audience(AUDIENCE).claim("active", false).claim("kid", "someone-else")
                .claim("alg", "none").claim("reason", "made up").claim("custom", java.util.Map.of("list", List.of(1, 2))).sign();
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token))
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    String text = res.bodyAsString();
                    JsonObject answer = res.bodyAsJsonObject();
                    assertThat(answer.getBoolean("active")).isTrue();
                    assertThat(answer.getString("kid")).isEqualTo(TestKeys.publicJwk(TestKeys.Alg.ES256).getKeyID());
                    assertThat(answer.getString("alg")).isEqualTo("ES256");
                    assertThat(answer.containsKey("reason")).isFalse();
                    assertThat(answer.getJsonObject("custom").getJsonArray("list").getList()).containsExactly(1, 2);
                    for (String member : List.of("\"active\"", "\"kid\"", "\"alg\"")) {
                        assertThat(text.indexOf(member)).as(member + " once").isEqualTo(text.lastIndexOf(member));
                    }
                    assertThat(text).startsWith("{\"active\":true,\"iss\":");
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenTokenExpiredThenInactiveWithReason(VertxTestContext tc) throws Exception {
        MintedToken token = mint(SigningAlgorithm.EdDSA);
        clock.advance(Duration.ofHours(1));
        expectReason(tc, token.compact(), "expired");
    }

    @Test
    void introspectWhenExpiredWithinLeewayThenStillActive(VertxTestContext tc) throws Exception {
        MintedToken token = mint(SigningAlgorithm.EdDSA);
        clock.set(token.expiresAt().plusSeconds(30));
        introspect(token.compact()).onComplete(tc.succeeding(answer -> tc.verify(() -> {
            assertThat(answer.getBoolean("active")).isTrue();
            tc.completeNow();
        })));
    }

    @Test
    void introspectWhenTokenNotYetValidThenInactiveWithReason(VertxTestContext tc) throws Exception {
        MintedToken token = mint(keys.get(), new MutableClock(NOW.plus(Duration.ofHours(2))), ISSUER, AUDIENCE, SigningAlgorithm.ES256);
        expectReason(tc, token.compact(), "not_yet_valid");
    }

    @Test
    void introspectWhenAlgNoneThenAlgorithmNotAllowed(VertxTestContext tc) {
        expectReason(tc, forged(TestKeys.Alg.EdDSA).unsigned(), "algorithm_not_allowed");
    }

    @Test
    void introspectWhenHs256SignedWithThePublicKeyThenAlgorithmNotAllowed(VertxTestContext tc) {
        // The classic confusion attack: the public key, which everyone has, used as an HMAC secret (kid: the RSA key's).
        byte[] publicJwks = keys.get().publicJwksJson().getBytes(StandardCharsets.UTF_8);
        expectReason(tc, forged(TestKeys.Alg.RS256).hmacSigned(publicJwks), "algorithm_not_allowed");
    }

    @Test
    void introspectWhenHeaderCarriesTheAttackersJwkThenUnknownKid(VertxTestContext tc) throws Exception {
        JWK attacker = KeyCodec.generate(SigningAlgorithm.EdDSA);
        String token = attackerSigned(attacker).kid(KeyEntry.thumbprint(attacker)).sign();
        expectReason(tc, token, "unknown_kid");
    }

    @Test
    void introspectWhenAttackerSignsUnderTheRealKidThenBadSignature(VertxTestContext tc) throws Exception {
        JWK attacker = KeyCodec.generate(SigningAlgorithm.EdDSA);
        String token = attackerSigned(attacker).kid(keys.get().requireSigner(SigningAlgorithm.EdDSA).kid()).sign();
        expectReason(tc, token, "bad_signature");
    }

    @Test
    void introspectWhenKidUnknownThenInactiveWithReason(VertxTestContext tc) {
        // A real ES256 signature under a kid the server does not know.
        expectReason(tc, forged(TestKeys.Alg.ES256).kid("no-such-key").sign(), "unknown_kid");
    }

    @Test
    void introspectWhenPayloadTamperedThenBadSignature(VertxTestContext tc) throws Exception {
        String[] parts = mint(SigningAlgorithm.EdDSA).compact().split("\\.");
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String tampered = b64(claims.replace("\"team\":\"main\"", "\"team\":\"admin\""));
        assertThat(tampered).isNotEqualTo(parts[1]);
        expectReason(tc, parts[0] + "." + tampered + "." + parts[2], "bad_signature");
    }

    @Test
    void introspectWhenIssuerDiffersThenWrongIssuer(VertxTestContext tc) throws Exception {
        MintedToken token = mint(keys.get(), clock, "https://other.example.test", AUDIENCE, SigningAlgorithm.EdDSA);
        expectReason(tc, token.compact(), "wrong_issuer");
    }

    @Test
    void introspectWhenExpectedAudienceDiffersThenWrongAudience(VertxTestContext tc) throws Exception {
        MintedToken token = mint(SigningAlgorithm.EdDSA);
        MultiMap form = MultiMap.caseInsensitiveMultiMap().add("token", token.compact()).add("audience", "aws");
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).sendForm(form).onComplete(tc.succeeding(res -> tc.verify(() -> {
            assertThat(res.bodyAsJsonObject()).isEqualTo(new JsonObject().put("active", false).put("reason", "wrong_audience"));
            tc.completeNow();
        })));
    }

    @Test
    void introspectWhenTheSignatureIsRespelledThenMalformed(VertxTestContext tc) throws Exception {
        // Each decodes, leniently, to the real signature's bytes; they all used to be active.
        String[] p = mint(SigningAlgorithm.EdDSA).compact().split("\\.");
        String sig = p[2];
        int mid = sig.length() / 2;
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char last = sig.charAt(sig.length() - 1);
        List<String> respelled = List.of(
                sig.substring(0, mid) + "!!!" + sig.substring(mid),
                sig + "~",
                sig.substring(0, mid) + "\u00e9" + sig.substring(mid),
                sig.substring(0, mid) + " " + sig.substring(mid),
                sig + "==",
                // 86 characters carry 64 bytes and 4 unused bits: set one.
                sig.substring(0, sig.length() - 1) + alphabet.charAt(alphabet.indexOf(last) | 1));
        assertThat(sig.length() % 4).isEqualTo(2);
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < respelled.size(); i++) {
            int variant = i;
            all.add(introspect(p[0] + "." + p[1] + "." + respelled.get(i)).map(answer -> {
                tc.verify(() -> assertThat(answer).as("respelling %d", variant).isEqualTo(
                        new JsonObject().put("active", false).put("reason", "malformed")));
                return answer;
            }));
        }
        Future.all(all).onComplete(tc.succeedingThenComplete());
    }

    @Test
    void introspectWhenTokenIsGarbageThenMalformed(VertxTestContext tc) {
        expectReason(tc, "not.a-token.at-all", "malformed");
    }

    @Test
    void introspectWhenFormHasNoTokenThenBadRequest(VertxTestContext tc) {
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).sendForm(MultiMap.caseInsensitiveMultiMap().add("tok", "x"))
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(400);
                    assertThat(res.bodyAsJsonObject().getString("error")).isEqualTo("invalid_request");
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenTheFormGivesTheTokenTwiceThenBadRequestNamingIt(VertxTestContext tc) throws Exception {
        String token = mint(SigningAlgorithm.EdDSA).compact();
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT)
                .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token).add("token", "x.y.z"))
                .onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(400);
                    assertThat(res.bodyAsJsonObject().getString("error_description")).contains("'token' more than once");
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenTheFormHasAMalformedEscapeThenBadRequestThatDoesNotQuoteTheBody(VertxTestContext tc) throws Exception {
        String token = mint(SigningAlgorithm.EdDSA).compact();
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).putHeader("Content-Type", IntrospectionHandler.FORM)
                .sendBuffer(Buffer.buffer("token=" + token + "&audience=%zz")).onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(400);
                    assertThat(res.bodyAsJsonObject().getString("error")).isEqualTo("invalid_request");
                    assertThat(res.bodyAsString()).doesNotContain(token).doesNotContain("%zz");
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenTheFormEncodesItsValuesThenTheyAreDecodedAndASemicolonIsNoSeparator(VertxTestContext tc) throws Exception {
        String token = mint(SigningAlgorithm.EdDSA).compact();
        // "%2E" is "." and "+" a space: the token arrives whole, the audience as "vault;x y", no audience "vault".
        String escaped = token.replace(".", "%2E");
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).putHeader("Content-Type", IntrospectionHandler.FORM)
                .sendBuffer(Buffer.buffer("token=" + escaped + "&audience=vault;x+y")).onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(200);
                    assertThat(res.bodyAsJsonObject().getBoolean("active")).isFalse();
                    assertThat(res.bodyAsJsonObject().getString("reason")).isEqualTo("wrong_audience");
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenAChunkedBodyGrowsPastTheLimitThenPayloadTooLargeWithoutAContentLength() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            out.write(("POST " + Endpoints.INTROSPECT + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + IntrospectionHandler.FORM
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String chunk = "a".repeat(4096);
            for (int i = 0; i < 5; i++) {
                out.write((Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertThat(status).isEqualTo("HTTP/1.1 413 Request Entity Too Large");
        }
    }

    @Test
    void introspectWhenTheClientExpects100ContinueThenItIsToldToSendAndAnswered() throws Exception {
        String body = "token=" + mint(SigningAlgorithm.EdDSA).compact();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out.write(("POST " + Endpoints.INTROSPECT + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + IntrospectionHandler.FORM
                    + "\r\nContent-Length: " + body.length() + "\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 100 Continue");
            assertThat(in.readLine()).isEmpty();
            out.write(body.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
            int length = -1;
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            char[] answer = new char[length];
            assertThat(in.read(answer, 0, length)).isEqualTo(length);
            assertThat(new String(answer)).contains("\"active\":true");
        }
    }

    @Test
    void introspectWhenJsonIsNotAnObjectThenBadRequest(VertxTestContext tc) {
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).putHeader("Content-Type", "application/json")
                .sendBuffer(Buffer.buffer("[\"token\"")).onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(400);
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenBodyOver16KiBThenPayloadTooLarge(VertxTestContext tc) {
        String big = "token=" + "a".repeat(Endpoints.MAX_INTROSPECTION_BODY + 1);
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).putHeader("Content-Type", IntrospectionHandler.FORM)
                .sendBuffer(Buffer.buffer(big)).onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(413);
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenMediaTypeIsTextThenUnsupportedMediaType(VertxTestContext tc) {
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).putHeader("Content-Type", "text/plain")
                .sendBuffer(Buffer.buffer("token=x")).onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(415);
                    assertThat(res.bodyAsJsonObject().getString("error")).isEqualTo("unsupported_media_type");
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenMultipartThenUnsupportedMediaType(VertxTestContext tc) {
        client.post(port(), "127.0.0.1", Endpoints.INTROSPECT).putHeader("Content-Type", "multipart/form-data; boundary=x")
                .sendBuffer(Buffer.buffer("--x--")).onComplete(tc.succeeding(res -> tc.verify(() -> {
                    assertThat(res.statusCode()).isEqualTo(415);
                    tc.completeNow();
                })));
    }

    @Test
    void introspectWhenMethodIsGetThenMethodNotAllowed(VertxTestContext tc) {
        client.get(port(), "127.0.0.1", Endpoints.INTROSPECT + "?token=x").send().onComplete(tc.succeeding(res -> tc.verify(() -> {
            assertThat(res.statusCode()).isEqualTo(405);
            assertThat(res.bodyAsJsonObject().getString("error")).isEqualTo("method_not_allowed");
            tc.completeNow();
        })));
    }

    /** A token of the fixtures' for the sample build, issued at the server's now, signed by a committed key. */
    private static TestJwts.Builder forged(TestKeys.Alg alg) {
        return TestJwts.jwt(alg).issuedAt(NOW);
    }

    /** The sample build's claims signed by {@code attacker}, whose public key the header carries as {@code jwk}. */
    private static TestJwts.Builder attackerSigned(JWK attacker) {
        return TestJwts.jwt(attacker).issuedAt(NOW).embeddedJwk(attacker);
    }

    Future<JsonObject> introspect(String token) {
        return client.post(port(), "127.0.0.1", Endpoints.INTROSPECT)
                .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token))
                .map(IntrospectionEndpointTest::okJson);
    }

    static JsonObject okJson(HttpResponse<Buffer> res) {
        if (res.statusCode() != 200) {
            throw new AssertionError("introspection answered " + res.statusCode() + ": " + res.bodyAsString());
        }
        return res.bodyAsJsonObject();
    }

    void expectReason(VertxTestContext tc, String token, String reason) {
        introspect(token).onComplete(tc.succeeding(answer -> tc.verify(() -> {
            assertThat(answer).isEqualTo(new JsonObject().put("active", false).put("reason", reason));
            tc.completeNow();
        })));
    }

    static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
