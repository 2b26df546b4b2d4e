package org.cijwt.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.delivery.DeliveryRecords;
import org.cijwt.delivery.TokenDelivery;
import org.cijwt.delivery.TokenProfile;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.launch.LoopbackPorts;
import org.cijwt.fixtures.launch.OpenBaoAdmin;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.fixtures.launch.Runc;
import org.cijwt.fixtures.launch.RuncResult;
import org.cijwt.io.Trees;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.EphemeralKeySource;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.keys.SigningKey;
import org.cijwt.signedconfig.ConfigVerifier;
import org.cijwt.signedconfig.PinnedKeys;
import org.cijwt.signedconfig.PipelineSigning;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.vars.Interpolator;
import org.cijwt.vault.VaultJwtVarSource;
import org.cijwt.vault.VaultOperatorSettings;
import org.cijwt.vault.VaultVarSourceConfig;
import org.cijwt.web.WebConfig;
import org.cijwt.web.WebServer;

/**
 * The job-JWT RFC's example end to end: our web endpoint publishes the keys, OpenBao trusts it by
 * OIDC discovery, the {@code use-vars} pipeline's secrets are read with the build's own token, and
 * the task runs in a real runc container after pre-flight; a second task logs in by itself with
 * {@code $CONCOURSE_CI_JWT}.
 *
 * <p>Run it with {@code java -cp vault-example/target/ci-jwt.jar org.cijwt.demo.UseVarsExample}
 * (it starts its own OpenBao dev server), or through {@code ./ci-jwt demo}.
 */
public final class UseVarsExample {

    /** The RFC's pipeline, kept in the fixtures jar. */
    public static final String PIPELINE_RESOURCE = "/org/cijwt/fixtures/pipelines/use-vars.yml";
    /** Build metadata of the RFC's build: team main, pipeline use-vars-pipeline, job use-vars. */
    public static final String METADATA_RESOURCE = "/org/cijwt/fixtures/metadata/use-vars.json";
    public static final String USE_VARS_JOB = "use-vars";
    public static final String LOGIN_JOB = "login-from-task";
    /** A pipeline of the same team whose secret the example's policy must not let this pipeline read. */
    public static final String OTHER_PIPELINE = "other-pipeline";

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Duration TASK_TIMEOUT = Duration.ofSeconds(60);

    private UseVarsExample() {
    }

    /** A Vault or OpenBao server the example may configure, with an admin token. */
    public record Target(URI address, String adminToken) {
        @Override
        public String toString() {
            return "Target[" + address + "]";
        }
    }

    /** One task's outcome: its interpolated config and, when containers can run here, what the container did. */
    public record TaskOutcome(String job, String interpolatedConfig, Optional<RuncResult> container) {
    }

    /** What the example did; {@link #passed()} when every task that ran exited 0. */
    public record Outcome(String issuer, List<TaskOutcome> tasks, Optional<String> containersSkipped) {
        public boolean passed() {
            return tasks.stream().allMatch(t -> t.container().map(RuncResult::succeeded).orElse(true));
        }
    }

    /**
     * Runs the example against {@code target}, signing with {@code ring}; {@code workDir} holds the
     * OCI bundles and token directories while the tasks run.
     */
    public static Outcome run(Target target, KeyRing ring, Path workDir, PrintStream out) throws Exception {
        return run(target, ring, workDir, out, Optional.empty());
    }

    /**
     * Signed task configs in the example: the author's key, the key file the worker pins, what a
     * failure does, and whether the author signed the pipeline at all (an unsigned one, under warn,
     * shows the token saying so and the signed-config role refusing it).
     */
    public record Signing(SigningKey author, Path pinnedKeys, ConfigVerifier.Behavior behavior, boolean signed) {
    }

    /** The OpenBao role the login task uses when configs are signed: it requires config_signer. */
    public static final String SIGNED_ROLE = "signed-task";

    /** The example, with the task configs signed by their author and checked at pre-flight when {@code signing} is given. */
    public static Outcome run(Target target, KeyRing ring, Path workDir, PrintStream out, Optional<Signing> signing)
            throws Exception {
        String pipelineYaml = resource(PIPELINE_RESOURCE);
        BuildMetadata build = BuildMetadata.fromJson(resource(METADATA_RESOURCE), "use-vars build metadata");
        if (signing.isPresent() && signing.get().signed()) {
            pipelineYaml = PipelineSigning.sign(pipelineYaml, PIPELINE_RESOURCE, build.team(), build.pipeline(), signing.get().author());
            out.println("   pipeline signed by its author (" + signing.get().author().algorithm() + " key "
                    + signing.get().author().kid() + "); the worker pins " + signing.get().pinnedKeys().getFileName()
                    + ", verification failure behavior " + signing.get().behavior().name().toLowerCase(java.util.Locale.ROOT));
        }
        JsonNode pipeline = YAML.readTree(pipelineYaml);
        VaultVarSourceConfig parsed = VaultVarSourceConfig.fromPipelineYaml(pipelineYaml).stream().findFirst()
                .orElseThrow(() -> new CiJwtException(ErrorCode.SETTING_INVALID, PIPELINE_RESOURCE + " has no vault var source"));
        VaultVarSourceConfig config = parsed.withUrl(target.address());
        // The example is the operator here: it allows its own dev server and the pipeline's auth mount.
        VaultOperatorSettings operator = VaultOperatorSettings.builder().allowAddress(target.address())
                .allowAuthPath(config.qualifiedAuthPath()).build();

        int port = LoopbackPorts.free();
        String issuer = "http://127.0.0.1:" + port;
        Vertx vertx = Vertx.vertx();
        try {
            ReloadingKeyRing keys = ReloadingKeyRing.start(new FixedKeySource(ring), Clock.systemUTC());
            WebConfig web = WebConfig.builder().listen("127.0.0.1", port).issuer(issuer).eventLoops(1).verifyWorkers(1)
                    .reloadInterval(Duration.ZERO).shutdownGrace(Duration.ofSeconds(1)).build();
            WebServer server = WebServer.start(vertx, web, keys).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            out.println("   web endpoint (ci-jwt serve): " + server.discoveryUri());

            configureVault(target, config, issuer, build, out);
            if (signing.isPresent()) {
                String signer = KeyEntry.thumbprint(signing.get().author().entry().jwk().toPublicJWK());
                configureSignedRole(target, config, build, signer, out);
            }

            ClaimsPolicy policy = ClaimsPolicy.builder().issuer(issuer).audience(config.audience()).build();
            List<TaskOutcome> outcomes = new ArrayList<>();
            Optional<String> skipped = Runc.unavailableReason();
            try (VaultJwtVarSource source = new VaultJwtVarSource(operator.admit(config),
                    new TokenMinter(keys, Clock.systemUTC()),
                    policy, Clock.systemUTC())) {
                Interpolator interpolator = Interpolator.builder().source(source)
                        .localVar("vault_addr", config.address())
                        .localVar("vault_namespace", config.namespace().orElse(""))
                        .localVar("auth_path", pipeline.at("/var_sources/0/config/auth_path").asText(config.authPath()))
                        .localVar("auth_role", signing.isPresent() ? SIGNED_ROLE : config.authRole())
                        .build();
                for (String job : List.of(USE_VARS_JOB, LOGIN_JOB)) {
                    BuildMetadata jobBuild = forJob(build, job, signing.isPresent() ? taskStep(pipeline, job) : null);
                    String task = YAML.writeValueAsString(taskConfig(pipeline, job));
                    String interpolated = interpolator.interpolate(task, jobBuild);
                    out.println("   job " + job + ": task config interpolated through var source '" + source.name()
                            + "' (" + source.loginCount() + " Vault login(s) so far)");
                    Optional<RuncResult> result = Optional.empty();
                    if (skipped.isEmpty()) {
                        result = Optional.of(runTask(YAML.readTree(interpolated), jobBuild, keys, issuer,
                                config.audience(), workDir.resolve(job), verifier(signing), out));
                    }
                    outcomes.add(new TaskOutcome(job, interpolated, result));
                }
                source.forget(build);
            }
            skipped.ifPresent(reason -> out.println("   containers skipped: " + reason));
            server.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            return new Outcome(issuer, outcomes, skipped);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    /** The operator's part: JWT auth trusting our issuer, the example role and policy, the RFC's secrets. */
    static void configureVault(Target target, VaultVarSourceConfig config, String issuer, BuildMetadata build,
                               PrintStream out) throws IOException {
        OpenBaoAdmin admin = new OpenBaoAdmin(target.address(), target.adminToken());
        String mount = config.pathPrefix().replaceFirst("^/", "");
        String policyName = build.team() + "-" + build.pipeline();
        admin.enableJwtAuth(config.authPath());
        admin.trustIssuerByDiscovery(config.authPath(), issuer);
        admin.mountKv(mount, 2);
        admin.writePolicy(policyName, OpenBaoAdmin.teamPipelinePolicy(mount, build.team(), build.pipeline()));
        admin.writeRole(config.authPath(), new OpenBaoAdmin.JwtRole(config.authRole(), config.audience(),
                Map.of("team", build.team(), "pipeline", build.pipeline()), List.of(policyName), Duration.ofMinutes(10)));
        admin.writeSecret(mount, 2, build.team() + "/" + build.pipeline() + "/some_secret",
                Map.of("username", "hello-im-a-username"));
        admin.writeSecret(mount, 2, build.team() + "/secret with_spaces.etc", Map.of("some_key", "some-value"));
        admin.writeSecret(mount, 2, build.team() + "/" + OTHER_PIPELINE + "/theirs", Map.of("value", "not-for-use-vars"));
        out.println("   Vault at " + target.address() + ": auth/" + config.authPath() + " trusts " + issuer
                + " by OIDC discovery; role '" + config.authRole() + "' bound to aud " + config.audience()
                + ", team " + build.team() + ", pipeline " + build.pipeline() + "; policy " + policyName
                + " reads " + mount + "/" + build.team() + "/" + build.pipeline() + "/* and " + mount + "/"
                + build.team() + "/+");
    }

    /** The worker's check of signed configs, when the example runs with them. */
    private static ConfigVerifier verifier(Optional<Signing> signing) throws CiJwtException {
        if (signing.isEmpty()) {
            return null;
        }
        return new ConfigVerifier(PinnedKeys.reloading(List.of(signing.get().pinnedKeys()), Clock.systemUTC()),
                signing.get().behavior(), Map.of(), java.util.Set.of());
    }

    /** A second role for the task's own login that also requires a config verified with the author's key. */
    static void configureSignedRole(Target target, VaultVarSourceConfig config, BuildMetadata build, String signer,
                                    PrintStream out) throws IOException {
        OpenBaoAdmin admin = new OpenBaoAdmin(target.address(), target.adminToken());
        String policyName = build.team() + "-" + build.pipeline();
        admin.writeRole(config.authPath(), new OpenBaoAdmin.JwtRole(SIGNED_ROLE, config.audience(),
                Map.of("team", build.team(), "pipeline", build.pipeline(), "config_verification", "verified",
                        "config_signer", signer), List.of(policyName), Duration.ofMinutes(10)));
        out.println("   Vault: role '" + SIGNED_ROLE + "' also requires config_verification verified and config_signer " + signer);
    }

    private static RuncResult runTask(JsonNode task, BuildMetadata build, ReloadingKeyRing keys, String issuer,
                                      String audience, Path dir, ConfigVerifier verifier, PrintStream out) throws Exception {
        List<String> args = new ArrayList<>();
        args.add(task.at("/run/path").asText());
        task.at("/run/args").forEach(a -> args.add(a.asText()));
        Map<String, String> env = new LinkedHashMap<>();
        task.path("params").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        Files.createDirectories(dir);
        Path bundle = Runc.bundle(dir.resolve("bundle"), args, env, Runc.Network.HOST);
        Path tokens = dir.resolve("tokens");
        ClaimsPolicy policy = ClaimsPolicy.builder().issuer(issuer).audience(audience).build();
        TokenProfile preflight = new TokenProfile(issuer,
                List.of(new TokenProfile.TokenConfig(TokenProfile.DEFAULT_TOKEN, policy, false)));
        DeliveryRecords records = DeliveryRecords.open(dir.resolve("records"));
        try {
            TokenDelivery.Delivery delivery = new TokenDelivery(keys, Clock.systemUTC(), records, verifier)
                    .deliver(build, preflight, tokens, bundle);
            out.println("   pre-flight: token " + delivery.defaultToken().jti() + " (" + delivery.defaultToken().algorithm()
                    + ", expires " + delivery.defaultToken().expiresAt() + ") in " + tokens + ", "
                    + delivery.plan().environment().keySet() + " in config.json");
            if (delivery.metadata().config() != null) {
                out.println("   pre-flight: config_verification=" + delivery.metadata().config().verification()
                        + delivery.metadata().config().signer().map(s -> ", config_signer=" + s).orElse(""));
            }
            RuncResult result = Runc.run(bundle, TASK_TIMEOUT);
            out.println("   runc container for " + build.job() + " exited " + result.exitCode());
            indent(out, result.stdout());
            indent(out, result.stderr());
            return result;
        } finally {
            TokenDelivery.cleanup(records, bundle, tokens);
            Trees.deleteRecursively(dir);
        }
    }

    private static void indent(PrintStream out, String text) {
        if (!text.isBlank()) {
            out.println("     | " + text.strip().replace("\n", "\n     | "));
        }
    }

    /**
     * The first task step of {@code job} as the build metadata's {@code signed_step} carries it:
     * as written, with its signature when signed, and the definitions of the resources it uses.
     */
    static JsonNode taskStep(JsonNode pipeline, String job) throws CiJwtException {
        for (PipelineSigning.Step step : PipelineSigning.taskSteps(pipeline, "pipeline")) {
            if (step.job().equals(job) && step.node().has("config")) {
                return PipelineSigning.signedStep(pipeline, step, "pipeline");
            }
        }
        throw new CiJwtException(ErrorCode.SETTING_INVALID, "pipeline has no job '" + job + "' with a task config");
    }

    /** The {@code config:} of the first task of {@code job} in the pipeline. */
    static JsonNode taskConfig(JsonNode pipeline, String job) throws CiJwtException {
        for (JsonNode j : pipeline.path("jobs")) {
            if (job.equals(j.path("name").asText())) {
                for (JsonNode step : j.path("plan")) {
                    if (step.has("task") && step.has("config")) {
                        return step.get("config");
                    }
                }
            }
        }
        throw new CiJwtException(ErrorCode.SETTING_INVALID, "pipeline has no job '" + job + "' with a task config");
    }

    private static BuildMetadata forJob(BuildMetadata b, String job, JsonNode signedStep) throws CiJwtException {
        return BuildMetadata.builder().team(b.team()).teamId(b.teamId()).pipeline(b.pipeline())
                .pipelineId(b.pipelineId()).instanceVars(b.instanceVars()).job(job).jobId(b.jobId())
                .buildId(b.buildId()).buildName(b.buildName()).task(job).stepType(b.stepType()).worker(b.worker())
                .signedStep(signedStep).build();
    }

    static String resource(String name) throws CiJwtException {
        try (InputStream in = UseVarsExample.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, name + " cannot be read: " + e.getMessage());
        }
    }

    /** A key ring already loaded, served as it is. */
    private record FixedKeySource(KeyRing ring) implements KeySource {
        @Override
        public KeyRing load() {
            return ring;
        }

        @Override
        public String describe() {
            return "the example's key ring";
        }
    }

    /**
     * Starts an OpenBao dev server and runs the example with a fresh ephemeral key; exits 0 when the
     * tasks passed, 1 when one failed, 2 when OpenBao is not installed.
     */
    public static void main(String[] args) throws Exception {
        Optional<String> unavailable = OpenBaoServer.unavailableReason();
        if (unavailable.isPresent()) {
            System.err.println(unavailable.get());
            System.exit(2);
        }
        KeyRing ring = new EphemeralKeySource(Set.of(SigningAlgorithm.ES256)).load();
        Path work = Files.createTempDirectory("ci-jwt-use-vars-");
        boolean passed;
        try (OpenBaoServer server = OpenBaoServer.start()) {
            System.out.println("   OpenBao dev server: " + server.address());
            passed = run(new Target(server.address(), server.rootToken()), ring, work, System.out).passed();
        } finally {
            Trees.deleteRecursively(work);
        }
        System.out.println(passed ? "use-vars example passed" : "use-vars example FAILED");
        System.exit(passed ? 0 : 1);
    }
}
