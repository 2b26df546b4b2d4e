package org.cijwt.demo;

/** One stage of {@code ci-jwt demo} after the token is minted: the container, the server, Vault. */
interface DemoStep {

    String title();

    /** Runs the stage; a stage that cannot run here says why on {@code ctx.out()} and returns. */
    void run(DemoContext ctx) throws Exception;
}
