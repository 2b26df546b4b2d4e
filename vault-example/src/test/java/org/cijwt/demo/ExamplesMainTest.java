package org.cijwt.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.cijwt.errors.ExitCode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The examples jar's command line: {@code demo} is there, with the product's exit codes. */
class ExamplesMainTest {

    @Test
    void demoHelpWhenAskedThenUsageAndExit0() {
        CommandLine cli = ExamplesMain.commandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("demo", "--help")).isZero();
        assertThat(out.toString()).contains("Usage: ci-jwt demo");
    }

    @Test
    void unknownVerbWhenGivenThenUsageExit() {
        CommandLine cli = ExamplesMain.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("mint")).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).contains("ci-jwt: ");
    }
}
