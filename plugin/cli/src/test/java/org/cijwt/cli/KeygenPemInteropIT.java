package org.cijwt.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.cijwt.cli.CliRun.run;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cijwt.fixtures.RelyingParties;
import org.cijwt.keys.KeyCodec;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.MalformedKeys;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PEM files {@code ci-jwt keygen --format pem} writes are read by the tools people use them
 * with: the real {@code openssl pkey} and Python's {@code cryptography}; and what
 * {@code openssl genpkey} writes is read by ci-jwt.
 */
class KeygenPemInteropIT {
    private static final List<String> ALGORITHMS = List.of("EdDSA", "ES256", "RS256");

    @TempDir
    static Path dir;

    /** Per algorithm: the private and the public PEM keygen wrote. */
    private static final Map<String, Path[]> KEYS = new LinkedHashMap<>();

    @BeforeAll
    static void generate() throws Exception {
        for (String alg : ALGORITHMS) {
            Path out = Files.createDirectory(dir.resolve(alg));
            CliRun r = run("keygen", "--alg", alg, "--format", "pem", "--out", out.toString());
            assertThat(r.exit()).as(r.err()).isZero();
            KEYS.put(alg, new Path[] {file(out, "-private.pem"), file(out, "-public.pem")});
        }
    }

    private static Path file(Path in, String suffix) throws Exception {
        try (Stream<Path> files = Files.list(in)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).findFirst().orElseThrow();
        }
    }

    @Test
    void keygenPemWhenReadByOpensslPkeyThenEachPrivateKeyLoadsAndGivesThePublicKeyWritten() throws Exception {
        String openssl = openssl();
        for (String alg : ALGORITHMS) {
            Path priv = KEYS.get(alg)[0];
            Path pub = KEYS.get(alg)[1];
            Result derived = exec(List.of(openssl, "pkey", "-in", priv.toString(), "-pubout"));
            assertThat(derived.exit()).as(alg + ": " + derived.err()).isZero();
            assertThat(MalformedKeys.der(derived.out())).as(alg).isEqualTo(MalformedKeys.der(Files.readString(pub)));
            Result pubOnly = exec(List.of(openssl, "pkey", "-pubin", "-in", pub.toString(), "-noout"));
            assertThat(pubOnly.exit()).as(alg + ": " + pubOnly.err()).isZero();
        }
    }

    @Test
    void keygenPemWhenReadByPythonCryptographyThenEachPairLoadsSignsAndVerifies() throws Exception {
        RelyingParties.assumePythonTools();
        String script = """
                import sys
                from cryptography.hazmat.primitives import hashes, serialization
                from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
                priv = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), password=None)
                pub = serialization.load_pem_public_key(open(sys.argv[2], "rb").read())
                spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
                assert priv.public_key().public_bytes(*spki) == pub.public_bytes(*spki), "public keys differ"
                msg = b"ci-jwt interop"
                if isinstance(priv, ed25519.Ed25519PrivateKey):
                    pub.verify(priv.sign(msg), msg)
                elif isinstance(priv, ec.EllipticCurvePrivateKey):
                    assert priv.curve.name == "secp256r1", priv.curve.name
                    pub.verify(priv.sign(msg, ec.ECDSA(hashes.SHA256())), msg, ec.ECDSA(hashes.SHA256()))
                elif isinstance(priv, rsa.RSAPrivateKey):
                    pub.verify(priv.sign(msg, padding.PKCS1v15(), hashes.SHA256()), msg, padding.PKCS1v15(), hashes.SHA256())
                else:
                    raise SystemExit("unexpected key type " + type(priv).__name__)
                print("ok " + type(priv).__name__)
                """;
        Path py = Files.writeString(dir.resolve("load_pem.py"), script);
        for (String alg : ALGORITHMS) {
            Result r = exec(List.of(RelyingParties.python().toString(), py.toString(),
                    KEYS.get(alg)[0].toString(), KEYS.get(alg)[1].toString()));
            assertThat(r.exit()).as(alg + ": " + r.err()).isZero();
            assertThat(r.out()).as(alg).startsWith("ok ");
        }
    }

    @Test
    void opensslGenpkeyWhenReadByCiJwtThenItPublishesTheKeyOpensslDerives() throws Exception {
        String openssl = openssl();
        Map<String, List<String>> genpkey = Map.of(
                "EdDSA", List.of("-algorithm", "Ed25519"),
                "ES256", List.of("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"),
                "RS256", List.of("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"));
        for (String alg : ALGORITHMS) {
            Path key = dir.resolve("openssl-" + alg + ".pem");
            List<String> cmd = new ArrayList<>(List.of(openssl, "genpkey"));
            cmd.addAll(genpkey.get(alg));
            cmd.addAll(List.of("-out", key.toString()));
            Result gen = exec(cmd);
            assertThat(gen.exit()).as(alg + ": " + gen.err()).isZero();
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            Result pub = exec(List.of(openssl, "pkey", "-in", key.toString(), "-pubout"));
            String kid = KeyEntry.thumbprint(KeyCodec.parsePem(pub.out(), "openssl public key").get(0));

            CliRun jwks = run("jwks", "--keys", key.toString());
            assertThat(jwks.exit()).as(alg + ": " + jwks.err()).isZero();
            assertThat(jwks.out()).as(alg).contains("\"kid\" : \"" + kid + "\"").contains("\"alg\" : \"" + alg + "\"");
        }
    }

    private static String openssl() {
        String path = System.getenv("PATH");
        for (String d : path == null ? new String[0] : path.split(File.pathSeparator)) {
            Path candidate = Path.of(d, "openssl");
            if (!d.isEmpty() && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        String reason = "openssl is not on the PATH (apt-get install openssl)";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(reason + "; CI=true requires it");
        }
        Assumptions.abort(reason);
        return null;
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result exec(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command.get(0) + " did not finish within 60 s");
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
