package org.cijwt.web;

import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.ExitCode;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.ReloadingKeyRing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ci-jwt serve}: publishes discovery and JWKS and answers introspection until SIGTERM.
 * Flags override environment variables, which override the config file.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve OIDC discovery, the JWKS, RFC 7662 introspection, health and metrics.",
                "Each setting is read from the config file, then CI_JWT_* environment variables, then flags; see web-endpoint/README.md."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON config file.")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Listen address (default 127.0.0.1:8080; $CI_JWT_LISTEN).")
    String listen;

    @Option(names = "--issuer", paramLabel = "URL", description = "Issuer URL (default http://127.0.0.1:8080; $CI_JWT_ISSUER).")
    String issuer;

    @Option(names = "--keys", paramLabel = "PATH", description = "Key directory, PEM or JWKS file, or 'ephemeral' (default ./.ci-jwt/keys; $CI_JWT_KEYS).")
    String keys;

    @Option(names = "--key-id", paramLabel = "KID", description = "With a JWKS file: the signing key's id ($CI_JWT_KEY_ID).")
    String keyId;

    @Option(names = "--verify-keys", paramLabel = "FILE", description = "Verification-only public keys; repeatable ($CI_JWT_VERIFICATION_KEYS).")
    List<String> verifyKeys = new ArrayList<>();

    @Option(names = "--rotation-period", paramLabel = "DURATION", description = "Embedded store rotation period (default 7d).")
    String rotationPeriod;

    @Option(names = "--rotation-grace", paramLabel = "DURATION", description = "Embedded store pre-publication grace (default 24h).")
    String rotationGrace;

    @Option(names = "--audiences", paramLabel = "AUD", description = "Audiences accepted when a request names none; repeatable. Without it every request must name its audience.")
    List<String> audiences = new ArrayList<>();

    @Option(names = "--jwks-max-age", paramLabel = "DURATION", description = "Cache-Control max-age of JWKS and discovery (default 300s).")
    String jwksMaxAge;

    @Option(names = "--leeway", paramLabel = "DURATION", description = "Clock-skew leeway for exp and nbf (default 60s).")
    String leeway;

    @Option(names = "--introspection-reasons", paramLabel = "BOOL", description = "Say why a token is inactive (default true).")
    String introspectionReasons;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate; with --tls-key serve HTTPS.")
    String tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key for --tls-cert.")
    String tlsKey;

    @Option(names = "--reload-interval", paramLabel = "DURATION", description = "How often key files are checked (default 2s; 0 = off).")
    String reloadInterval;

    @Option(names = "--shutdown-grace", paramLabel = "DURATION", description = "Time requests in flight get on SIGTERM (default 10s).")
    String shutdownGrace;

    @Option(names = "--event-loops", paramLabel = "N", description = "Server instances sharing the port (default: CPUs).")
    String eventLoops;

    @Option(names = "--verify-workers", paramLabel = "N", description = "Worker threads for ES256/RS256 verification (default: CPUs).")
    String verifyWorkers;

    @Option(names = "--inline-eddsa", paramLabel = "BOOL", description = "Verify EdDSA on the event loop (default false).")
    String inlineEdDsa;

    @Option(names = "--verify-cache-size", paramLabel = "N",
            description = "Tokens whose signature check is remembered per key-ring version; 0 turns it off (default 10000).")
    String verifyCacheSize;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        WebConfig cfg = WebConfigLoader.load(config, System.getenv(), flags());
        ReloadingKeyRing ring = ReloadingKeyRing.start(KeySources.resolve(cfg.keys(), KeySources.Options.defaults()
                .withKeyId(cfg.keyId()).withVerificationKeys(cfg.verificationKeys()).withRotation(cfg.rotation())), Clock.systemUTC());
        Vertx vertx = Vertx.vertx();
        WebServer server;
        try {
            server = WebServer.start(vertx, cfg, ring).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            vertx.close();
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof CiJwtException invalid) {
                throw invalid;
            }
            throw new CiJwtException(ErrorCode.SETTING_INVALID, "setting listen: cannot listen on " + cfg.host() + ":" + cfg.port()
                    + ": " + cause.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close().eventually(vertx::close).toCompletionStage().toCompletableFuture()
                        .get(cfg.shutdownGrace().toMillis() + 5_000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                System.err.println("ci-jwt: shutdown did not finish cleanly: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                stopped.countDown();
            }
        }, "ci-jwt-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("ci-jwt serving " + server.baseUri() + " (issuer " + cfg.issuer() + ", "
                + ring.get().publishedKeys().size() + " published key(s), signing with " + ring.get().signingAlgorithms() + ")");
        out.println("discovery: " + server.discoveryUri());
        out.flush();
        stopped.await();
        return ExitCode.OK;
    }

    private Map<Setting, List<String>> flags() {
        Map<Setting, List<String>> f = new EnumMap<>(Setting.class);
        put(f, Setting.LISTEN, listen);
        put(f, Setting.ISSUER, issuer);
        put(f, Setting.KEYS, keys);
        put(f, Setting.KEY_ID, keyId);
        f.put(Setting.VERIFICATION_KEYS, verifyKeys);
        put(f, Setting.ROTATION_PERIOD, rotationPeriod);
        put(f, Setting.ROTATION_GRACE, rotationGrace);
        f.put(Setting.AUDIENCES, audiences);
        put(f, Setting.JWKS_MAX_AGE, jwksMaxAge);
        put(f, Setting.LEEWAY, leeway);
        put(f, Setting.INTROSPECTION_REASONS, introspectionReasons);
        put(f, Setting.TLS_CERT, tlsCert);
        put(f, Setting.TLS_KEY, tlsKey);
        put(f, Setting.RELOAD_INTERVAL, reloadInterval);
        put(f, Setting.SHUTDOWN_GRACE, shutdownGrace);
        put(f, Setting.EVENT_LOOPS, eventLoops);
        put(f, Setting.VERIFY_WORKERS, verifyWorkers);
        put(f, Setting.INLINE_EDDSA, inlineEdDsa);
        put(f, Setting.VERIFY_CACHE_SIZE, verifyCacheSize);
        return f;
    }

    private static void put(Map<Setting, List<String>> f, Setting s, String v) {
        if (v != null) {
            f.put(s, List.of(v));
        }
    }
}
