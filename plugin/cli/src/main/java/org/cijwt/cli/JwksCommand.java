package org.cijwt.cli;

import java.util.concurrent.Callable;
import org.cijwt.io.Json;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ExitCode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ci-jwt jwks}: prints the public JWKS of a key ring. */
@Command(name = "jwks", mixinStandardHelpOptions = true, description = "Print the public JWKS (no private member ever appears in it).")
final class JwksCommand implements Callable<Integer> {
    @Mixin
    KeyOptions keys;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CiJwtException {
        spec.commandLine().getOut().println(Json.pretty(keys.source().load().publicJwksJson()));
        return ExitCode.OK;
    }
}
