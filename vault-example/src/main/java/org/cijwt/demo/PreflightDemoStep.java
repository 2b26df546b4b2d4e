package org.cijwt.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.cijwt.agent.Agent;
import org.cijwt.agent.AgentApi;
import org.cijwt.agent.AgentConfig;
import org.cijwt.agent.AgentMetrics;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimNames;
import org.cijwt.delivery.DeliveryPlan;
import org.cijwt.delivery.DeliveryRecords;
import org.cijwt.delivery.TokenDelivery;
import org.cijwt.delivery.TokenProfile;
import org.cijwt.fixtures.launch.BusyboxRootfs;
import org.cijwt.fixtures.launch.Containerd;
import org.cijwt.fixtures.launch.Runc;
import org.cijwt.fixtures.launch.RuncResult;
import org.cijwt.io.Trees;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.metrics.OperatorMetrics;

/**
 * Demo stage: the sample task as a worker runs it. Where containerd is installed, through the
 * worker agent (in this process, on a socket under the demo's state directory) and
 * {@code ctr run --runc-binary ci-jwt-runtime}; else in a real runc container with its token
 * delivered by pre-flight; and where runc cannot run either, the same script as a plain process
 * with the same variables and a read-only file. Each fallback says why.
 */
public final class PreflightDemoStep implements DemoStep {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLEANUP_WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The OCI annotation that carries the build metadata to {@code ci-jwt-runtime} (docs/design.md). */
    static final String METADATA_ANNOTATION = "org.cijwt.metadata";
    /** The line the stage prints when the task ran through the agent and containerd. */
    static final String AGENT_PATH = "through the worker agent and containerd";

    /** The sample task: prints where its token is, the token's claims, and tries to overwrite the file. */
    static final String TASK_SCRIPT = String.join("\n",
            "echo \"CONCOURSE_CI_JWT_FILE=$CONCOURSE_CI_JWT_FILE\"",
            "if [ \"$CONCOURSE_CI_JWT\" = \"$(cat \"$CONCOURSE_CI_JWT_FILE\")\" ]; then"
                    + " echo 'CONCOURSE_CI_JWT holds the same token as the file'; fi",
            "p=$(cut -d. -f2 \"$CONCOURSE_CI_JWT_FILE\" | tr '_-' '/+')",
            "case $(( ${#p} % 4 )) in 2) p=\"$p==\";; 3) p=\"$p=\";; esac",
            "echo \"claims: $(echo \"$p\" | base64 -d)\"",
            "if (echo tampered > \"$CONCOURSE_CI_JWT_FILE\") 2>/dev/null; then echo 'write to the token file: allowed';"
                    + " else echo 'write to the token file: refused (read-only)'; fi",
            "");
    private static final List<String> TASK = List.of("sh", "-c", TASK_SCRIPT);

    private final Supplier<Optional<String>> containerdProblem;
    private final Supplier<RuntimeWrapper> wrapper;

    /** The stage as {@code ci-jwt demo} runs it: containerd and the wrapper where this machine has them. */
    public PreflightDemoStep() {
        this(Containerd::unavailableReason, RuntimeWrapper::locate);
    }

    /** For tests: where containerd and the wrapper are (or why not) decided by the caller. */
    PreflightDemoStep(Supplier<Optional<String>> containerdProblem, Supplier<RuntimeWrapper> wrapper) {
        this.containerdProblem = containerdProblem;
        this.wrapper = wrapper;
    }

    @Override
    public String title() {
        return "pre-flight: the sample task in a container";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        PrintStream out = ctx.out();
        Path work = ctx.stateDir().resolve("preflight-demo").toAbsolutePath().normalize();
        Trees.deleteRecursively(work);
        Files.createDirectories(work);
        TokenProfile config = new TokenProfile(ctx.policy().issuer(),
                List.of(new TokenProfile.TokenConfig(TokenProfile.DEFAULT_TOKEN, ctx.policy(), false)));
        try {
            Optional<String> notThroughAgent = throughAgent(ctx, config, work, out);
            if (notThroughAgent.isEmpty()) {
                return;
            }
            out.println("   not " + AGENT_PATH + ": " + notThroughAgent.get() + ";");
            out.println("   pre-flight delivers into a runc bundle instead");
            directly(ctx, config, work, out);
        } finally {
            Trees.deleteRecursively(work);
        }
    }

    /** Runs the task with {@code ctr run} through the wrapper and an in-process agent; returns why it could not, or empty. */
    private Optional<String> throughAgent(DemoContext ctx, TokenProfile config, Path work, PrintStream out) throws Exception {
        Optional<String> problem = containerdProblem.get();
        if (problem.isPresent()) {
            return Optional.of("containerd is unavailable here (" + problem.get() + ")");
        }
        RuntimeWrapper runtime = wrapper.get();
        if (runtime.binary().isEmpty()) {
            return Optional.of(runtime.problem());
        }
        runtime.built().ifPresent(how -> out.println("   built the runtime wrapper: " + how));
        Path binary = runtime.binary().get();
        Path socketDir = Files.createDirectory(work.resolve("run"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-x---")));
        Path socket = socketDir.resolve("agent.sock");
        AgentConfig agentConfig = new AgentConfig(AgentConfig.DEFAULT_PROFILE, Map.of(AgentConfig.DEFAULT_PROFILE, config), Map.of());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Vertx vertx = Vertx.vertx();
        ReloadingKeyRing ring = ReloadingKeyRing.start(ctx.keySource(), Clock.systemUTC());
        try (Agent agent = Agent.builder(ring, agentConfig, work.resolve("agent")).registry(registry).start()) {
            OperatorMetrics operator = OperatorMetrics.bind(registry, "agent", ring, Clock.systemUTC());
            try {
                new AgentApi(agent, agent.metrics(), registry, operator).listen(vertx, socket)
                        .toCompletionStage().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // A Unix socket path is limited to 107 bytes: a deep state directory can be too long.
                return Optional.of("the agent cannot serve " + socket + " (" + firstLine(String.valueOf(
                        e.getCause() == null ? e : e.getCause())) + ")");
            }
            out.println("   agent: ci-jwt agent (in this process) serving on " + socket);
            Containerd.Result result;
            Containerd containerd;
            try {
                containerd = Containerd.start(work.resolve("containerd"), Map.of("CI_JWT_AGENT_SOCKET", socket.toString()));
            } catch (IOException e) {
                return Optional.of("containerd did not start (" + firstLine(e.getMessage()) + ")");
            }
            try (containerd) {
                out.println("   containerd: its own root, state and socket in " + work.resolve("containerd")
                        + ", started with CI_JWT_AGENT_SOCKET=" + socket);
                String id = "ci-jwt-demo-" + UUID.randomUUID().toString().substring(0, 8);
                out.println("   $ ctr run --rm --runc-binary " + binary + " --read-only --annotation " + METADATA_ANNOTATION
                        + "='<the build metadata>' --rootfs <busybox> " + id + " sh -c '<the task script>'");
                result = containerd.run(id, binary, BusyboxRootfs.shared(), Map.of(METADATA_ANNOTATION, metadataJson(ctx.metadata())),
                        List.of("--read-only"), TIMEOUT, "/bin/sh", "-c", TASK_SCRIPT);
            }
            if (result.exitCode() != 0 || !result.output().contains("claims:")) {
                return Optional.of("the container did not run through containerd: "
                        + result.output().lines().filter(l -> !l.isBlank()).findFirst().orElse("exit " + result.exitCode()));
            }
            result.output().lines().forEach(line -> out.println("   | " + line));
            out.println("   " + AGENT_PATH + ": the wrapper asked the agent on create (" + minted(registry)
                    + " token(s) minted, config.json patched), then ran runc; on delete the agent removed the token files ("
                    + awaitNoContainers(agent) + " container(s) left)");
            return Optional.empty();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** The pre-agent path: pre-flight patches a runc bundle, or, where runc cannot run, the task runs as a plain process. */
    private void directly(DemoContext ctx, TokenProfile config, Path work, PrintStream out) throws Exception {
        Path bundle = Files.createDirectories(work.resolve("bundle"));
        DeliveryRecords records = DeliveryRecords.open(work.resolve("records"));
        TokenDelivery preflight = new TokenDelivery(ctx::keyRing, Clock.systemUTC(), records);
        try {
            Optional<String> unavailable = Runc.unavailableReason();
            if (unavailable.isEmpty()) {
                Optional<String> failed = inContainer(ctx, preflight, config, bundle, out);
                if (failed.isEmpty()) {
                    return;
                }
                unavailable = failed;
            }
            out.println("   runc is unavailable here (" + unavailable.get() + "),");
            out.println("   so the same script runs as a plain process with the same variables and a read-only file:");
            asPlainProcess(ctx, preflight, config, work, out);
        } finally {
            TokenDelivery.cleanup(records, bundle);
        }
    }

    /** Runs the task in runc; returns why it could not, or empty when it ran. */
    private Optional<String> inContainer(DemoContext ctx, TokenDelivery preflight, TokenProfile config, Path bundle,
                                         PrintStream out) throws Exception {
        try {
            Runc.bundle(bundle, TASK, Map.of());
        } catch (IOException e) {
            return Optional.of(firstLine(e.getMessage()));
        }
        TokenDelivery.Delivery delivery = preflight.deliver(ctx.metadata(), config, TokenDelivery.defaultTokenDirectory(bundle), bundle);
        delivery.warnings().forEach(w -> out.println("   warning: " + w.message()));
        out.println("   bundle " + bundle + ": config.json patched (0600), token files in " + delivery.directory().path());
        out.println("   mounted read-only (" + String.join(",", DeliveryPlan.MOUNT_OPTIONS) + ") at "
                + DeliveryPlan.CONTAINER_TOKEN_DIR);
        out.println("   $ runc run --bundle " + bundle + " <id>");
        RuncResult result = Runc.run(bundle, TIMEOUT);
        if (result.exitCode() != 0 || !result.stdout().contains("claims:")) {
            String firstLine = result.stderr().lines().findFirst().orElse("exit " + result.exitCode());
            return Optional.of("the container did not run: " + firstLine);
        }
        print(result, out);
        return Optional.empty();
    }

    private void asPlainProcess(DemoContext ctx, TokenDelivery preflight, TokenProfile config, Path work, PrintStream out)
            throws Exception {
        TokenDelivery.Delivery delivery = preflight.prepare(ctx.metadata(), config, work.resolve("tokens"));
        Map<String, String> env = new LinkedHashMap<>(delivery.plan().environment());
        // No mount outside a container: the variable points at the host file, which only this user can read.
        env.put(DeliveryPlan.TOKEN_FILE_VARIABLE, delivery.directory().file(TokenProfile.DEFAULT_TOKEN).toString());
        out.println("   $ sh -c '<the task script>' with " + String.join(", ", env.keySet()));
        RuncResult result = Runc.runOnHost(TASK, env, TIMEOUT);
        print(result, out);
        if (Runc.runningAsRoot()) {
            out.println("   (as root, file modes do not stop a write on the host; inside a container the read-only mount does)");
        }
        delivery.directory().delete();
    }

    /** The build metadata as the annotation carries it: the metadata file's JSON, keys named as the claims. */
    static String metadataJson(BuildMetadata md) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(ClaimNames.TEAM, md.team());
        m.put(ClaimNames.TEAM_ID, md.teamId());
        m.put(ClaimNames.PIPELINE, md.pipeline());
        m.put(ClaimNames.PIPELINE_ID, md.pipelineId());
        m.put(ClaimNames.INSTANCE_VARS, md.instanceVars().isEmpty() ? null : md.instanceVars());
        m.put(ClaimNames.JOB, md.job());
        m.put(ClaimNames.JOB_ID, md.jobId());
        m.put(ClaimNames.BUILD_ID, md.buildId());
        m.put(ClaimNames.BUILD_NAME, md.buildName());
        m.put(ClaimNames.TASK, md.task());
        m.put(ClaimNames.STEP_TYPE, md.stepType());
        m.put(ClaimNames.WORKER, md.worker());
        m.values().removeIf(v -> v == null);
        return JSON.writeValueAsString(m);
    }

    private static long minted(PrometheusMeterRegistry registry) {
        Counter c = registry.find(AgentMetrics.TOKENS).tag("event", "minted").counter();
        return c == null ? 0 : (long) c.count();
    }

    /** ctr's delete reaches the agent through the wrapper's {@code delete}; give it a moment. */
    private static int awaitNoContainers(Agent agent) throws InterruptedException {
        Instant deadline = Instant.now().plus(CLEANUP_WAIT);
        while (agent.liveContainers() > 0 && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        return agent.liveContainers();
    }

    private static void print(RuncResult result, PrintStream out) {
        result.stdout().lines().forEach(line -> out.println("   | " + line));
        if (result.exitCode() != 0) {
            out.println("   task exited " + result.exitCode());
            result.stderr().lines().forEach(line -> out.println("   ! " + line));
        }
    }

    private static String firstLine(String message) {
        return message == null ? "no reason given" : message.lines().findFirst().orElse("no reason given");
    }
}
