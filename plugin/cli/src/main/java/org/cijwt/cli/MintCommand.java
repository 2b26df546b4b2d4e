package org.cijwt.cli;

import java.time.Clock;
import java.util.concurrent.Callable;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ExitCode;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ci-jwt mint}: prints a signed token for a build. */
@Command(name = "mint", mixinStandardHelpOptions = true, description = "Mint a signed JWT for a build and print it.")
final class MintCommand implements Callable<Integer> {
    @Mixin
    MetadataOption metadata;
    @Mixin
    PolicyOptions policy;
    @Mixin
    KeyOptions keys;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CiJwtException {
        var md = metadata.load();
        var p = policy.policy();
        var ring = keys.source(java.util.EnumSet.of(p.algorithm())).load();
        MintedToken token = new TokenMinter(() -> ring, Clock.systemUTC()).mint(md, p);
        token.warnings().forEach(w -> spec.commandLine().getErr().println("ci-jwt: warning: " + w));
        spec.commandLine().getOut().println(token.compact());
        return ExitCode.OK;
    }
}
