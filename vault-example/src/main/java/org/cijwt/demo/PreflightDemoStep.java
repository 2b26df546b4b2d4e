package org.cijwt.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cijwt.delivery.DeliveryPlan;
import org.cijwt.delivery.DeliveryRecords;
import org.cijwt.delivery.Preflight;
import org.cijwt.delivery.PreflightConfig;
import org.cijwt.fixtures.launch.Runc;
import org.cijwt.fixtures.launch.RuncResult;
import org.cijwt.io.Trees;

/**
 * Demo stage: the sample task in a real runc container with its token delivered by pre-flight, or,
 * where runc cannot run, the same script as a plain process with the same variables and a read-only file.
 */
public final class PreflightDemoStep implements DemoStep {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

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

    @Override
    public String title() {
        return "pre-flight: the sample task in a container";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        PrintStream out = ctx.out();
        Path work = ctx.stateDir().resolve("preflight-demo").toAbsolutePath().normalize();
        Trees.deleteRecursively(work);
        Path bundle = Files.createDirectories(work.resolve("bundle"));
        PreflightConfig config = new PreflightConfig(ctx.policy().issuer(),
                List.of(new PreflightConfig.TokenConfig(PreflightConfig.DEFAULT_TOKEN, ctx.policy(), false)));
        DeliveryRecords records = DeliveryRecords.open(work.resolve("records"));
        Preflight preflight = new Preflight(ctx::keyRing, Clock.systemUTC(), records);
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
            Preflight.cleanup(records, bundle);
            Trees.deleteRecursively(work);
        }
    }

    /** Runs the task in runc; returns why it could not, or empty when it ran. */
    private Optional<String> inContainer(DemoContext ctx, Preflight preflight, PreflightConfig config, Path bundle,
                                         PrintStream out) throws Exception {
        try {
            Runc.bundle(bundle, TASK, Map.of());
        } catch (IOException e) {
            return Optional.of(firstLine(e.getMessage()));
        }
        Preflight.Delivery delivery = preflight.deliver(ctx.metadata(), config, Preflight.defaultTokenDirectory(bundle), bundle);
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

    private void asPlainProcess(DemoContext ctx, Preflight preflight, PreflightConfig config, Path work, PrintStream out)
            throws Exception {
        Preflight.Delivery delivery = preflight.prepare(ctx.metadata(), config, work.resolve("tokens"));
        Map<String, String> env = new LinkedHashMap<>(delivery.plan().environment());
        // No mount outside a container: the variable points at the host file, which only this user can read.
        env.put(DeliveryPlan.TOKEN_FILE_VARIABLE, delivery.directory().file(PreflightConfig.DEFAULT_TOKEN).toString());
        out.println("   $ sh -c '<the task script>' with " + String.join(", ", env.keySet()));
        RuncResult result = Runc.runOnHost(TASK, env, TIMEOUT);
        print(result, out);
        if (Runc.runningAsRoot()) {
            out.println("   (as root, file modes do not stop a write on the host; inside a container the read-only mount does)");
        }
        delivery.directory().delete();
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
