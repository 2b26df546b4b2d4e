package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.ExitCode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class ExitCodeTest {

    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("secret-looking detail eyJhbGciOi");
        }
    }

    @Command(name = "refuse")
    static final class Refuse implements Callable<Integer> {
        @Override
        public Integer call() throws CiJwtException {
            throw new CiJwtException(ErrorCode.METADATA_INVALID, "metadata file x.json: key 'tema' is not a build metadata key");
        }
    }

    private static String[] run(String verb) {
        CommandLine cli = Main.commandLine().addSubcommand(new Boom()).addSubcommand(new Refuse());
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(verb);
        return new String[] {Integer.toString(exit), err.toString()};
    }

    @Test
    void internalFailureWhenRaisedThenExit3WithTypeAndHowToGetTheStackTraceButNotTheMessage() {
        String[] r = run("boom");
        assertThat(Integer.parseInt(r[0])).isEqualTo(ExitCode.INTERNAL).isEqualTo(3);
        assertThat(r[1]).contains("internal error (java.lang.IllegalStateException)").contains(Main.DEBUG_ENV + "=1")
                .doesNotContain("eyJhbGciOi").doesNotContain("\tat ");
        assertThat(r[1].lines()).hasSize(1);
    }

    @Test
    void rejectedInputWhenRaisedThenExit1WithItsCode() {
        String[] r = run("refuse");
        assertThat(Integer.parseInt(r[0])).isEqualTo(ExitCode.REJECTED);
        assertThat(r[1]).startsWith("ci-jwt: CJ101 metadata file x.json:");
    }

    @Test
    void usageErrorWhenUnknownOptionThenExit2() {
        String[] r = run("--no-such-option");
        assertThat(Integer.parseInt(r[0])).isEqualTo(ExitCode.USAGE);
    }
}
