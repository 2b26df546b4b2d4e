package org.cijwt.cli;

import java.io.PrintWriter;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ExitCode;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code ci-jwt} command line; exit codes are those of {@link ExitCode}. */
@Command(name = "ci-jwt", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Signed, short-lived identity tokens for CI builds.",
        subcommands = {KeygenCommand.class, MintCommand.class, VerifyCommand.class, JwksCommand.class, PreflightCommand.class,
                SignPipelineCommand.class, VerifyPipelineCommand.class, AgentCommand.class})
public final class Main implements Runnable {
    /** Set (to anything) to print the stack trace of an internal error. */
    public static final String DEBUG_ENV = "CI_JWT_DEBUG";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line; exposed so tests can run it in-process. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.addSubcommand("serve", ServeCommand.create());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionExceptionHandler(Main::failure);
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage()
                + " (see " + cmd.getCommandSpec().qualifiedName() + " --help)");
        err.flush();
        return ExitCode.USAGE;
    }

    private static int failure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        if (e instanceof CiJwtException c) {
            err.println("ci-jwt: " + c.userMessage());
        } else if (e instanceof CommandLine.ParameterException p) {
            return usageError(p, new String[0]);
        } else {
            // The message of an unexpected exception may quote input (a token, a key), so only its type is shown.
            boolean debug = System.getenv(DEBUG_ENV) != null;
            err.println("ci-jwt: internal error (" + e.getClass().getName() + "), not caused by your input"
                    + (debug ? "; stack trace follows" : "; set " + DEBUG_ENV + "=1 for the stack trace"));
            if (debug) {
                e.printStackTrace(err);
            }
        }
        err.flush();
        return e instanceof CiJwtException ? ExitCode.REJECTED : ExitCode.INTERNAL;
    }

    /** Reads the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"ci-jwt " + (v == null ? "development build" : v)};
        }
    }
}
