package org.cijwt.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.cijwt.io.Json;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.ExitCode;
import org.cijwt.errors.Printable;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ci-jwt verify}: checks a token against a JWKS file or URL. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Verify a token with a public JWKS; print its claims, or one line saying why it is rejected (exit 1).")
final class VerifyCommand implements Callable<Integer> {
    private static final int MAX_JWKS_BYTES = 1024 * 1024;

    @Option(names = "--jwks", paramLabel = "FILE|URL", required = true, description = "The public JWKS, as a file or an http(s) URL.")
    String jwks;

    @Option(names = "--issuer", paramLabel = "URL", required = true, description = "The expected iss, compared byte for byte.")
    String issuer;

    @Option(names = "--audience", paramLabel = "AUD", required = true, description = "The expected audience.")
    String audience;

    @Option(names = "--leeway", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "60s",
            description = "Clock skew allowed on exp and nbf (default: ${DEFAULT-VALUE}).")
    Duration leeway;

    @Parameters(arity = "0..1", paramLabel = "TOKEN|-", description = "The token, or - (the default) to read it from standard input.")
    String token;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CiJwtException {
        KeyRing ring = loadJwks();
        String t = token == null || token.equals("-") ? readStdin() : token;
        Verification v = new TokenVerifier(() -> ring, issuer, List.of(audience), leeway, Clock.systemUTC()).verify(t);
        if (v instanceof Verification.Accepted a) {
            // Claims come from the token: a name with an escape sequence must not reach the terminal raw.
            spec.commandLine().getOut().println(Printable.json(Json.pretty(a.claims().toJSONObject())));
            return ExitCode.OK;
        }
        // The detail quotes header and claim values through Printable, so it is one safe line.
        spec.commandLine().getErr().println("rejected: " + v);
        return ExitCode.REJECTED;
    }

    private KeyRing loadJwks() throws CiJwtException {
        if (jwks.startsWith("http://") || jwks.startsWith("https://")) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            try {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(jwks)).timeout(Duration.ofSeconds(10)).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "--jwks " + jwks + " answered HTTP " + r.statusCode());
                }
                if (r.body().length > MAX_JWKS_BYTES) {
                    throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "--jwks " + jwks + " is larger than 1 MiB");
                }
                return VerificationKeySource.fromJwks(new String(r.body(), StandardCharsets.UTF_8), "JWKS at " + jwks);
            } catch (IOException e) {
                throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "--jwks " + jwks + " cannot be fetched: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "--jwks " + jwks + ": interrupted");
            }
        }
        return new VerificationKeySource(Path.of(jwks)).load();
    }

    private static String readStdin() throws CiJwtException {
        try (InputStream in = System.in) {
            byte[] b = in.readNBytes(TokenVerifier.MAX_TOKEN_LENGTH + 1);
            return new String(b, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "cannot read the token from standard input: " + e.getMessage());
        }
    }
}
