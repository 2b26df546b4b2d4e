package org.cijwt.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.agent.Agent;
import org.cijwt.agent.AgentConfig;
import org.cijwt.agent.AgentProcess;
import org.cijwt.agent.AgentSettings;
import org.cijwt.agent.ConcourseIdentity;
import org.cijwt.agent.IdentityConfig;
import org.cijwt.delivery.TokenProfile;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.launch.Concourse;
import org.cijwt.fixtures.launch.Runc;
import org.cijwt.io.Trees;

/**
 * The {@code ci-jwt demo} stage for Concourse: when a real Concourse can run here (the kit in
 * {@code ../shared/concourse} or {@code CI_JWT_CONCOURSE_BIN}, root, PostgreSQL), it starts one with
 * {@code ci-jwt-runtime} in front of runc and the agent asking Concourse's API which build each
 * container is, runs a one-job pipeline, and shows the claims the task read from
 * {@code $CONCOURSE_CI_JWT}; otherwise it says why it skips.
 */
final class ConcourseDemoStep implements DemoStep {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TOKEN_LINE = Pattern.compile("^TOKEN=(\\S+)$", Pattern.MULTILINE);
    private static final Duration FLY = Duration.ofMinutes(3);

    @Override
    public String title() {
        return "Concourse: a pipeline task reads the token of its build, as Concourse's API names it";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        PrintStream out = ctx.out();
        Optional<String> unavailable = Concourse.unavailableReason();
        if (unavailable.isPresent()) {
            out.println("   skipped: " + unavailable.get());
            return;
        }
        RuntimeWrapper runtime = RuntimeWrapper.locate();
        if (runtime.binary().isEmpty()) {
            out.println("   skipped: " + runtime.problem());
            return;
        }
        Path work = Files.createTempDirectory("ci-jwt-demo-concourse-");
        // Not 0700: PostgreSQL and the tasks' user reach into it.
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            show(ctx, work, runtime.binary().get(), out);
        } finally {
            Trees.deleteRecursively(work);
        }
    }

    private static void show(DemoContext ctx, Path work, Path wrapper, PrintStream out) throws Exception {
        Path socket = work.resolve("run/agent.sock");
        Path runc = Files.createDirectories(work.resolve("wrapper/bin")).resolve("runc");
        Files.writeString(runc, "#!/bin/sh\nexec env CI_JWT_AGENT_SOCKET=" + socket + " CI_JWT_IDENTITY_SOURCE=concourse CI_JWT_RUNC="
                + Runc.binary().orElseThrow() + " " + wrapper + " \"$@\"\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(runc, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Concourse concourse = Concourse.builder().runcWrapperDir(work.resolve("wrapper")).start()) {
            out.println("   Concourse at " + concourse.url() + ", its worker's containerd running " + runc + " (ci-jwt-runtime)");
            Path password = concourse.agentUser().writePasswordFile(work);
            IdentityConfig identity = new IdentityConfig(ConcourseIdentity.NAME, concourse.url().toString(),
                    concourse.agentUser().name(), password, null, null, null, false).validated();
            AgentConfig config = new AgentConfig(AgentConfig.DEFAULT_PROFILE, Map.of(AgentConfig.DEFAULT_PROFILE,
                    TokenProfile.defaults(ctx.policy().issuer())), Map.of(), identity);
            try (AgentProcess agent = Agent.run(new AgentSettings(config, socket, work.resolve("run/agent"), ctx.keySource(), null,
                    identity.open()))) {
                out.println("   agent: " + agent.describe() + ", asking Concourse as user '" + concourse.agentUser().name()
                        + "' (a viewer of every team)");
                Path pipeline = concourse.writeTaskPipeline(work.resolve("pipeline.yml"), "apply", "plan",
                        "echo \"TOKEN=$CONCOURSE_CI_JWT\"; test -r \"$CONCOURSE_CI_JWT_FILE\"");
                fly(concourse, "set-pipeline", "-n", "-p", "deploy", "-c", pipeline.toString());
                fly(concourse, "unpause-pipeline", "-p", "deploy");
                out.println("   $ fly trigger-job -j deploy/apply -w");
                String output = fly(concourse, "trigger-job", "-j", "deploy/apply", "-w");
                Matcher m = TOKEN_LINE.matcher(output);
                if (!m.find()) {
                    throw new CiJwtException(ErrorCode.IO_FAILED, "the Concourse task printed no token");
                }
                JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(m.group(1).split("\\.")[1]));
                out.println("   the task read $CONCOURSE_CI_JWT (and the file): team " + claims.path("team").asText()
                        + ", pipeline " + claims.path("pipeline").asText() + ", job " + claims.path("job").asText()
                        + ", task " + claims.path("task").asText() + ", build " + claims.path("build_name").asText()
                        + " (id " + claims.path("buildid").asText() + "), worker " + claims.path("worker").asText());
                out.println("   sub " + claims.path("sub").asText() + ", from Concourse's API, not from anything the pipeline wrote");
            }
        }
    }

    private static String fly(Concourse concourse, String... args) throws Exception {
        Concourse.FlyResult r = concourse.fly(Concourse.MAIN_TEAM, FLY, args);
        if (!r.succeeded()) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "fly " + args[0] + " failed: " + r.stdout().strip().lines()
                    .reduce((a, b) -> b).orElse("exit " + r.exitCode()));
        }
        return r.stdout();
    }
}
