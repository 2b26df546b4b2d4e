package org.cijwt.conformance;

import java.io.IOException;
import java.nio.file.Path;
import org.cijwt.fixtures.TestKeys;

/**
 * {@code ci-jwt serve} on {@code http://127.0.0.1:PORT}, the issuer every relying party here trusts.
 * It signs with a key of its own (ES256) and publishes, as {@code --verify-keys}, the committed TEST
 * keys of all three algorithms: those the worker agent signs with ({@link Worker}) and those
 * {@link org.cijwt.fixtures.TestJwts} signs the tokens a relying party must refuse with (expired,
 * another audience, another pipeline). So discovery lists ES256, EdDSA and RS256 only because it
 * lists the algorithms of the verification keys too.
 */
final class Issuer implements AutoCloseable {
    private final String url;
    private final ServerProcess process;

    private Issuer(String url, ServerProcess process) {
        this.url = url;
        this.process = process;
    }

    static Issuer start(Path dir) throws IOException, InterruptedException {
        Path own = TestKeys.copyPrivate(TestKeys.P256_SECOND, dir);
        Path published = TestKeys.copyPublic(TestKeys.VERIFICATION_JWKS, dir);
        return ServerProcess.onFreePorts(1, ports -> start(dir, own, published, ports[0]));
    }

    private static Issuer start(Path dir, Path own, Path published, int port) throws IOException, InterruptedException {
        String url = "http://127.0.0.1:" + port;
        ServerProcess serve = ServerProcess.ciJwt(dir, "serve", () -> Http.status(url + "/healthz") == 200,
                "serve", "--listen", "127.0.0.1:" + port, "--issuer", url, "--keys", own.toString(),
                "--verify-keys", published.toString(), "--reload-interval", "0");
        return new Issuer(url, serve);
    }

    /** The issuer URL, {@code iss} of every token, with discovery under it. */
    String url() {
        return url;
    }

    /** The published JWKS. */
    String jwks() throws IOException, InterruptedException {
        return Http.get(url + "/.well-known/jwks.json").body();
    }

    String log() {
        return process.log();
    }

    @Override
    public void close() {
        process.close();
    }
}
