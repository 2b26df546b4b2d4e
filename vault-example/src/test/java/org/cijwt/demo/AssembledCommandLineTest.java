package org.cijwt.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.cijwt.cli.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line of the product jar: every verb of DESIGN.md, the ones other modules add included. */
class AssembledCommandLineTest {

    @Test
    void helpWhenAskedOnEveryVerbOfTheAssembledJarThenExit0() {
        for (String verb : List.of("keygen", "mint", "verify", "jwks", "preflight", "serve", "sign-pipeline",
                "verify-pipeline", "demo")) {
            CommandLine cli = Main.commandLine();
            StringWriter out = new StringWriter();
            cli.setOut(new PrintWriter(out));
            int exit = cli.execute(verb, "--help");
            assertThat(exit).as(verb).isZero();
            assertThat(out.toString()).contains("Usage: ci-jwt " + verb);
        }
    }
}
