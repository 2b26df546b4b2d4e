package org.cijwt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.cijwt.agent.Agent;
import org.cijwt.agent.AgentConfig;
import org.cijwt.agent.AgentProcess;
import org.cijwt.agent.AgentSettings;
import org.cijwt.agent.IdentityConfig;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.ExitCode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code ci-jwt agent}: the worker agent, one process per worker, serving its API on a Unix socket. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run the worker agent: deliver and refresh every container's tokens, serving HTTP/JSON on a Unix socket"
                + " (POST /v1/containers {id, bundle, metadata, profile?}, DELETE /v1/containers/{id}, GET /v1/containers,"
                + " /healthz, /readyz, /metrics). Token profiles are the operator's, in --config.",
                "The socket is created 0660 in a directory others cannot write; the state directory is 0700."})
public final class AgentCommand implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Agent config (YAML/JSON): issuer, default_profile, profiles: NAME: {tokens: [...]} as in a pre-flight config."
                    + " Default: one profile 'default', the pre-flight defaults.")
    Path config;

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = AgentSettings.DEFAULT_SOCKET, description = "Unix socket to serve on (default: ${DEFAULT-VALUE}).")
    Path socket;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = AgentSettings.DEFAULT_STATE_DIR,
            description = "The agent's own records and token directories (default: ${DEFAULT-VALUE}); never read from a bundle.")
    Path stateDir;

    @Option(names = "--issuer", paramLabel = "URL", description = "The tokens' iss (default: the config's, else " + ClaimsPolicy.DEFAULT_ISSUER + ").")
    String issuer;

    @Option(names = "--identity-source", paramLabel = "annotation|concourse",
            description = "Where a container's build comes from: annotation (the caller's org.cijwt.metadata; only for a caller"
                    + " you trust) or concourse (the Concourse API, by the container's handle). Default: the config's, else annotation.")
    String identitySource;

    @Option(names = "--concourse-url", paramLabel = "URL", description = "Concourse's external URL (https, or http on loopback only).")
    String concourseUrl;

    @Option(names = "--concourse-user", paramLabel = "NAME", description = "The Concourse user the agent logs in as: a viewer of each team.")
    String concourseUser;

    @Option(names = "--concourse-password-file", paramLabel = "FILE", description = "That user's password, in a file only the agent's user may read (0600).")
    Path concoursePasswordFile;

    @Option(names = "--concourse-ca-file", paramLabel = "FILE", description = "PEM CA certificates to verify an https Concourse against.")
    Path concourseCaFile;

    @Option(names = "--warm-up", paramLabel = "PAIRS", defaultValue = "" + AgentSettings.DEFAULT_WARM_UP,
            description = "Create/delete pairs run through a throw-away agent on a private socket before the socket serves,"
                    + " so that the first containers find the JIT warm (default: ${DEFAULT-VALUE}; 0: none).")
    int warmUp;

    @Option(names = "--token-client", paramLabel = "FILE",
            description = "The static ci-jwt-runtime binary to link, read-only, beside the token socket of each container whose"
                    + " profile sets on_request, at /var/run/secrets/concourse-ci/ci-jwt-runtime: a task then asks for tokens with"
                    + " nothing in its image. Owned by root (or the agent's user), writable by no one else; copied once into the"
                    + " state directory.")
    Path tokenClient;

    @Mixin
    KeyOptions keys;

    @Mixin
    ConfigVerificationOptions verification;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (warmUp < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--warm-up " + warmUp + ": give 0 (none) or more pairs");
        }
        AgentConfig agentConfig = config == null ? AgentConfig.defaults(issuer == null ? ClaimsPolicy.DEFAULT_ISSUER : issuer)
                : AgentConfig.read(config, issuer);
        IdentityConfig identity = agentConfig.identity()
                .withFlags(identitySource, concourseUrl, concourseUser, concoursePasswordFile, concourseCaFile).validated();
        AgentSettings settings = new AgentSettings(agentConfig.withIdentity(identity), socket, stateDir,
                keys.source(agentConfig.algorithms()), verification.verifier(agentConfig.verificationByTeam()), identity.open(),
                warmUp, tokenClient);
        try (AgentProcess agent = Agent.run(settings)) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("ci-jwt agent: " + agent.describe());
            err.flush();
            agent.awaitShutdown();
        }
        return ExitCode.OK;
    }
}
