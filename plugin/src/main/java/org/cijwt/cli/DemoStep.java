package org.cijwt.cli;

/**
 * One stage of {@code ci-jwt demo} contributed by a module (container, server, Vault), found with
 * {@link java.util.ServiceLoader} and run in {@link #order()} after the token is minted.
 */
public interface DemoStep {

    int order();

    String title();

    /** Runs the stage; a stage that cannot run here says why on {@code ctx.out()} and returns. */
    void run(DemoContext ctx) throws Exception;
}
