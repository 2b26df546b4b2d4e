package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line of the product jar: every verb of docs/design.md, serve and agent included. */
class AssembledCommandLineTest {

    @Test
    void helpWhenAskedOnEveryVerbOfTheAssembledJarThenExit0() {
        for (String verb : List.of("keygen", "mint", "verify", "jwks", "preflight", "serve", "sign-pipeline",
                "verify-pipeline", "agent")) {
            CommandLine cli = Main.commandLine();
            StringWriter out = new StringWriter();
            cli.setOut(new PrintWriter(out));
            int exit = cli.execute(verb, "--help");
            assertThat(exit).as(verb).isZero();
            assertThat(out.toString()).contains("Usage: ci-jwt " + verb);
        }
    }
}
