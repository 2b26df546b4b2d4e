package org.cijwt.demo;

import java.io.PrintWriter;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ExitCode;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The examples jar's command line ({@code ./ci-jwt demo} runs it): the demo, kept out of the
 * product jar with everything it launches. Exit codes are those of the product's {@link ExitCode}.
 */
@Command(name = "ci-jwt", mixinStandardHelpOptions = true, description = "ci-jwt's runnable examples.",
        subcommands = {DemoCommand.class})
public final class ExamplesMain implements Runnable {
    /** Set (to anything) to print the stack trace of an internal error, as for the product jar. */
    static final String DEBUG_ENV = "CI_JWT_DEBUG";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The examples' command line; tests run it in-process. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new ExamplesMain());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(ExamplesMain::usageError);
        cli.setExecutionExceptionHandler(ExamplesMain::failure);
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage()
                + " (see " + cmd.getCommandSpec().qualifiedName() + " --help)");
        cmd.getErr().flush();
        return ExitCode.USAGE;
    }

    private static int failure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        if (e instanceof CiJwtException c) {
            err.println("ci-jwt: " + c.userMessage());
            err.flush();
            return ExitCode.REJECTED;
        }
        // The message of an unexpected exception may quote input (a token, a key), so only its type is shown.
        boolean debug = System.getenv(DEBUG_ENV) != null;
        err.println("ci-jwt: internal error (" + e.getClass().getName() + "), not caused by your input"
                + (debug ? "; stack trace follows" : "; set " + DEBUG_ENV + "=1 for the stack trace"));
        if (debug) {
            e.printStackTrace(err);
        }
        err.flush();
        return ExitCode.INTERNAL;
    }
}
