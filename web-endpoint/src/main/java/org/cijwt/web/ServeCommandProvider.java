package org.cijwt.web;

import org.cijwt.cli.CommandProvider;
import picocli.CommandLine;

/** Adds {@code serve} to the {@code ci-jwt} command line. */
public final class ServeCommandProvider implements CommandProvider {
    @Override
    public Object command() {
        return new CommandLine(ServeCommand.create());
    }
}
