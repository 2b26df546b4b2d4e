package org.cijwt.demo;

import org.cijwt.cli.CommandProvider;

/** Adds {@code demo} to the {@code ci-jwt} command line of the assembled jar. */
public final class DemoCommandProvider implements CommandProvider {
    @Override
    public Object command() {
        return new DemoCommand();
    }
}
