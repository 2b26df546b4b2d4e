package org.cijwt.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.fixtures.launch.LoopbackPorts;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.web.WebConfig;
import org.cijwt.web.WebServer;

/** The demo stage that starts the web endpoint and lets a client find the keys and check the token over HTTP. */
public final class ServerDemoStep implements DemoStep {
    static final String HOST = "127.0.0.1";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String title() {
        return "web endpoint: discovery, JWKS and introspection over HTTP";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        PrintStream out = ctx.out();
        int port = portFree(WebConfig.DEFAULT_PORT) ? WebConfig.DEFAULT_PORT : LoopbackPorts.free();
        String issuer = "http://" + HOST + ":" + port;
        MintedToken token = ctx.token();
        if (!issuer.equals(ctx.policy().issuer())) {
            // 8080 is taken, so the issuer differs: mint a token for this server with the same keys.
            out.println("   port " + WebConfig.DEFAULT_PORT + " is busy; using " + port + " and a token minted for issuer " + issuer);
            ClaimsPolicy policy = ctx.policy().toBuilder().issuer(issuer).build();
            token = new TokenMinter(ctx::keyRing, Clock.systemUTC()).mint(ctx.metadata(), policy);
        }
        WebConfig config = WebConfig.builder().listen(HOST, port).issuer(issuer).audiences(ctx.policy().audiences())
                .eventLoops(1).verifyWorkers(1).reloadInterval(Duration.ZERO).shutdownGrace(Duration.ofSeconds(1)).build();
        ReloadingKeyRing ring = ReloadingKeyRing.start(new FixedKeySource(ctx.keyRing(), ctx.keySource().describe()), Clock.systemUTC());
        Vertx vertx = Vertx.vertx();
        try {
            WebServer server = WebServer.start(vertx, config, ring).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            out.println("   discovery: " + server.discoveryUri());
            JsonNode discovery = JSON.readTree(get(http, server.discoveryUri()));
            out.println("   issuer " + discovery.path("issuer").asText() + ", algorithms " + discovery.path("id_token_signing_alg_values_supported"));
            URI jwksUri = URI.create(discovery.path("jwks_uri").asText());
            JsonNode jwks = JSON.readTree(get(http, jwksUri));
            out.println("   " + jwksUri + ": " + jwks.path("keys").size() + " public key(s)");
            for (JsonNode k : jwks.path("keys")) {
                out.println("     " + k.path("alg").asText() + "  kid " + k.path("kid").asText());
            }
            URI introspect = URI.create(discovery.path("introspection_endpoint").asText());
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(introspect)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(token.compact(), StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            out.println("   POST " + introspect + " -> " + answer.statusCode());
            out.println("   " + JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(answer.body())).replace("\n", "\n   "));
            server.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    private static String get(HttpClient http, URI uri) throws IOException, InterruptedException {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IOException("GET " + uri + " answered " + res.statusCode());
        }
        return res.body();
    }

    static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            return s.getLocalPort() == port;
        } catch (IOException e) {
            return false;
        }
    }

    /** The demo's already loaded ring, served as is. */
    private record FixedKeySource(KeyRing ring, String origin) implements KeySource {
        @Override
        public KeyRing load() {
            return ring;
        }

        @Override
        public String describe() {
            return origin;
        }
    }
}
