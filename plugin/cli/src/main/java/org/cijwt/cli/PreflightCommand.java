package org.cijwt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.delivery.DeliveryRecords;
import org.cijwt.delivery.TokenDelivery;
import org.cijwt.delivery.TokenProfile;
import org.cijwt.delivery.RefreshScheduler;
import org.cijwt.delivery.TokenRefresher;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.ExitCode;
import org.cijwt.io.SecureFiles;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.tokens.MintedToken;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code ci-jwt preflight}: delivers a build's tokens into an OCI bundle before the runtime starts it,
 * optionally keeps them fresh ({@code --watch}), and removes them again ({@code --cleanup}).
 */
@Command(name = "preflight", mixinStandardHelpOptions = true,
        description = {
            "Mint the build's tokens, write them into a new host token directory that only the task's user can read"
                + " and patch the bundle's config.json in place: CONCOURSE_CI_JWT, CONCOURSE_CI_JWT_FILE and a read-only"
                + " (nosuid,nodev,noexec) bind mount of the directory at /var/run/secrets/concourse-ci.",
            "The task's user is config.json's process.user, mapped through linux.uidMappings/gidMappings when the"
                + " container has a user namespace. As root, the directory is root:<task gid> 0550 and each file"
                + " <task uid>:<task gid> 0400; directories created above it are 0700. A token directory that already"
                + " exists is refused (CJ504) unless this bundle's earlier delivery created it.",
            "What was delivered is recorded in --state-dir, which only ci-jwt's user can write; --cleanup and a"
                + " repeated pre-flight undo exactly what that record says, never what config.json says.",
            "stdout: one line per token, then with --watch the line 'watching' once everything is in place;"
                + " warnings go to stderr.",
            "With --watch it stays and rewrites each file at 80%% of the token's lifetime until the process of"
                + " --pid/--pid-file has exited (exit 0) or it gets SIGTERM (the write in progress finishes;"
                + " exit status 143 as for any process ended by SIGTERM).",
            "ci-jwt preflight --cleanup --bundle DIR removes the recorded token files and directory and the recorded"
                + " variables and mount from config.json."})
final class PreflightCommand implements Callable<Integer> {

    /** How often {@code --watch} checks whether the container's process still runs. */
    static final Duration PROCESS_POLL = Duration.ofMillis(500);

    @Option(names = "--bundle", paramLabel = "DIR", required = true, description = "The OCI bundle (the directory holding config.json).")
    Path bundle;

    @Option(names = "--metadata", paramLabel = "FILE",
            description = "Build metadata JSON keyed by claim names (required unless --cleanup).")
    Path metadata;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Token configuration, YAML or JSON: issuer and tokens (name, audiences, ttl, algorithm, subject, aws, claims)."
                    + " Default: one token 'jwt' for audience " + TokenProfile.DEFAULT_AUDIENCE + ", 1h, ES256.")
    Path config;

    @Option(names = "--token-dir", paramLabel = "DIR",
            description = "Host directory for the token files, which must not exist yet (default: <bundle>/"
                    + TokenDelivery.DEFAULT_TOKEN_DIRECTORY + "). With --cleanup: checked against the record.")
    Path tokenDir;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where ci-jwt keeps its record of each delivery (0700, refused when others can write it). Default: "
                    + DeliveryRecords.ROOT_DEFAULT_TEXT + " as root, else $XDG_RUNTIME_DIR/ci-jwt/preflight, else"
                    + " ~/.ci-jwt/preflight. Give the same one to --cleanup.")
    Path stateDir;

    @Option(names = "--issuer", paramLabel = "URL",
            description = "The iss claim of every token; overrides the config's issuer (default: the config's, else "
                    + org.cijwt.claims.ClaimsPolicy.DEFAULT_ISSUER + ").")
    String issuer;

    @Option(names = "--watch", description = "Keep refreshing the token files until the watched process exits or SIGTERM.")
    boolean watch;

    @Option(names = "--pid", paramLabel = "PID", description = "With --watch: stop when this process (the container's init) has exited.")
    Long pid;

    @Option(names = "--pid-file", paramLabel = "FILE",
            description = "With --watch: read the pid to watch from this file once it appears (as written by runc create --pid-file).")
    Path pidFile;

    @Option(names = "--cleanup",
            description = "Undo the recorded delivery into --bundle (token files, directory, variables, mount) instead of delivering.")
    boolean cleanup;

    @Mixin
    KeyOptions keys;

    @Mixin
    ConfigVerificationOptions verification;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CiJwtException, InterruptedException {
        checkCombinations();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DeliveryRecords records = DeliveryRecords.open(stateDir != null ? stateDir : DeliveryRecords.defaultDirectory());
        if (cleanup) {
            TokenDelivery.Cleanup done = TokenDelivery.cleanup(records, bundle, tokenDir);
            done.warnings().forEach(w -> err.println("ci-jwt: warning: " + w));
            err.flush();
            out.println("config.json " + (done.specReverted() ? "reverted" : "had no recorded ci-jwt delivery")
                    + "; token directory " + done.removedDirectory().map(d -> d + " removed").orElse("not present"));
            out.flush();
            return ExitCode.OK;
        }

        TokenProfile tokens = config == null
                ? TokenProfile.defaults(issuer == null ? org.cijwt.claims.ClaimsPolicy.DEFAULT_ISSUER : issuer)
                : TokenProfile.read(config);
        if (tokens.requests().isPresent()) {
            throw new CiJwtException(org.cijwt.errors.ErrorCode.SETTING_INVALID, "pre-flight config " + config
                    + ": on_request is a setting of the agent's profiles; pre-flight serves no token socket");
        }
        if (issuer != null && !issuer.equals(tokens.issuer())) {
            tokens = tokens.withIssuer(issuer);
        }
        BuildMetadata md = BuildMetadata.fromJsonFile(metadata);
        // Only the algorithms the tokens use: an embedded store or 'ephemeral' then never generates an RSA key for nothing.
        KeySource source = keySource(tokens.algorithms());
        Supplier<KeyRing> ring = watch ? reloading(source) : constant(source.load());

        TokenDelivery preflight = new TokenDelivery(ring, Clock.systemUTC(), records, verification.verifier(java.util.Map.of()));
        Path dir = tokenDir != null ? tokenDir : TokenDelivery.defaultTokenDirectory(bundle);
        TokenDelivery.Delivery delivery = preflight.deliver(md, tokens, dir, bundle);
        delivery.warnings().forEach(w -> err.println("ci-jwt: warning: " + w.message()));
        delivery.tokens().forEach((name, token) -> {
            token.warnings().forEach(w -> err.println("ci-jwt: warning: token " + name + ": " + w));
            out.println(describe(name, token, delivery.directory().file(name)));
        });
        err.flush();
        out.flush();
        if (!watch) {
            return ExitCode.OK;
        }
        try (TokenRefresher refresher = preflight.refresher(delivery, tokens, RefreshScheduler.daemonThread(),
                new PrintingListener(out, err, delivery))) {
            refresher.start(delivery.tokens());
            return watchUntilDone(refresher, out, err);
        }
    }

    private void checkCombinations() {
        if (cleanup) {
            if (metadata != null || config != null || watch || issuer != null) {
                throw usage("--cleanup takes only --bundle, --state-dir and --token-dir");
            }
            return;
        }
        if (metadata == null) {
            throw usage("--metadata FILE is required (unless --cleanup)");
        }
        if ((pid != null || pidFile != null) && !watch) {
            throw usage("--pid and --pid-file only make sense with --watch");
        }
        if (pid != null && pidFile != null) {
            throw usage("give --pid or --pid-file, not both");
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private KeySource keySource(Set<SigningAlgorithm> algorithms) throws CiJwtException {
        return keys.source(algorithms);
    }

    private static Supplier<KeyRing> constant(KeyRing ring) {
        return () -> ring;
    }

    /** For long watches: a rotated or replaced key is picked up at the next refresh. */
    private static Supplier<KeyRing> reloading(KeySource source) throws CiJwtException {
        ReloadingKeyRing ring = ReloadingKeyRing.start(source, Clock.systemUTC());
        return () -> {
            ring.refresh();
            return ring.get();
        };
    }

    static String describe(String name, MintedToken token, Path hostFile) {
        return name + " " + hostFile + " " + token.algorithm() + " kid=" + token.kid() + " expires=" + token.expiresAt();
    }

    /** Blocks until the watched process exits (0) or a shutdown (SIGTERM) begins. */
    private int watchUntilDone(TokenRefresher refresher, PrintWriter out, PrintWriter err) throws CiJwtException,
            InterruptedException {
        CountDownLatch stopping = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopping.countDown();
            refresher.close();
            // Let the main thread print its last line before the JVM goes.
            awaitQuietly(stopped);
        }, "ci-jwt-preflight-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            out.println("watching");
            out.flush();
            Optional<Watched> process = Optional.empty();
            while (!stopping.await(PROCESS_POLL.toMillis(), TimeUnit.MILLISECONDS)) {
                if (process.isEmpty()) {
                    process = watchedProcess();
                }
                if (process.isPresent() && !process.get().isAlive()) {
                    break;
                }
            }
            refresher.close();
            if (stopping.getCount() == 0) {
                err.println("ci-jwt: stopped; token files left in place (remove them with --cleanup)");
                err.flush();
                return ExitCode.OK;
            }
            out.println("process " + process.map(Watched::pid).orElse(-1L) + " has exited; stopped refreshing");
            out.flush();
            return ExitCode.OK;
        } finally {
            stopped.countDown();
            if (stopping.getCount() != 0) {
                removeHook(hook);
            }
        }
    }

    /** The process to wait for: --pid at once, --pid-file once the file exists; empty means "not yet / none". */
    private Optional<Watched> watchedProcess() throws CiJwtException {
        if (pid != null) {
            return Optional.of(new Watched(pid));
        }
        if (pidFile == null) {
            return Optional.empty();
        }
        String text;
        try {
            text = Files.readString(pidFile, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "pid file " + pidFile + " cannot be read: " + SecureFiles.reason(e));
        }
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Watched(Long.parseLong(text)));
        } catch (NumberFormatException e) {
            throw new CiJwtException(ErrorCode.DELIVERY_FAILED, "pid file " + pidFile + " does not hold a process id");
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // SIGTERM raced the normal end: the hook runs anyway and finds the refresher closed.
            System.getLogger(PreflightCommand.class.getName()).log(System.Logger.Level.DEBUG,
                    "shutdown began while the watch was ending");
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The container's process, by pid; a pid with no process is simply not alive. */
    private record Watched(long pid) {
        boolean isAlive() {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
    }

    /** Prints refreshes to stdout and failures as warnings to stderr, never the token itself. */
    private record PrintingListener(PrintWriter out, PrintWriter err, TokenDelivery.Delivery delivery)
            implements TokenRefresher.Listener {
        @Override
        public void refreshed(String name, MintedToken token) {
            out.println("refreshed " + describe(name, token, delivery.directory().file(name)));
            out.flush();
        }

        @Override
        public void failed(String name, String reason, Duration retryIn) {
            err.println("ci-jwt: warning: refreshing token " + name + " failed: " + reason + "; retrying in "
                    + retryIn.toSeconds() + "s");
            err.flush();
        }
    }
}
