package org.cijwt.cli;

import java.io.PrintWriter;
import java.util.ServiceLoader;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ExitCode;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code ci-jwt} command line; exit codes are those of {@link ExitCode}. */
@Command(name = "ci-jwt", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Signed, short-lived identity tokens for CI builds.",
        subcommands = {KeygenCommand.class, MintCommand.class, VerifyCommand.class, JwksCommand.class, PreflightCommand.class})
public final class Main implements Runnable {
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
        for (CommandProvider p : ServiceLoader.load(CommandProvider.class)) {
            cli.addSubcommand(p.command());
        }
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
            err.println("ci-jwt: internal error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            if (System.getenv("CI_JWT_DEBUG") != null) {
                e.printStackTrace(err);
            } else {
                err.println("ci-jwt: set CI_JWT_DEBUG=1 for the stack trace");
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
