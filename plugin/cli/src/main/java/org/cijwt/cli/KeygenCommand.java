package org.cijwt.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.ExitCode;
import org.cijwt.io.SecureFiles;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyCodec;
import org.cijwt.keys.KeyEntry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ci-jwt keygen}: a new key pair as JWKS or PEM files. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = "Generate a signing key pair: <ALG>-<kid>-private.{json,pem} (0600) and <ALG>-<kid>-public.{json,pem}.")
final class KeygenCommand implements Callable<Integer> {
    enum Format { jwks, pem }

    @Option(names = "--alg", paramLabel = "ALG", defaultValue = "ES256", description = "EdDSA, ES256 or RS256 (default: ${DEFAULT-VALUE}).")
    String alg;

    @Option(names = "--key-id", paramLabel = "KID",
            description = "Key id, kept in the JWKS files (not with --format pem: a PEM has no place for it); default is the RFC 7638 SHA-256 thumbprint.")
    String keyId;

    @Option(names = "--format", defaultValue = "jwks", description = "jwks or pem (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "Directory to write to (default: current).")
    Path out;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CiJwtException {
        if (keyId != null && format == Format.pem) {
            // A PEM cannot carry a kid: jwks and mint would publish the thumbprint, not the id printed here.
            throw new CiJwtException(ErrorCode.OPTIONS_CONFLICT, "--key-id cannot be used with --format pem: a PEM file"
                    + " has no place for a key id, so the key would be published under its thumbprint; use --format jwks"
                    + " to keep the id, or drop --key-id");
        }
        SigningAlgorithm algorithm = SigningAlgorithm.parse(alg);
        if (keyId != null && !keyId.matches("[A-Za-z0-9._-]{1,128}")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--key-id '" + keyId + "' may use only letters, digits, '.', '_' and '-' (it becomes a file name)");
        }
        KeyEntry key = KeyEntry.of(KeyCodec.generate(algorithm), keyId, "generated key");
        String base = algorithm.name() + "-" + key.kid();
        Path priv;
        Path pub;
        if (format == Format.jwks) {
            priv = out.resolve(base + "-private.json");
            pub = out.resolve(base + "-public.json");
            var privJwk = withIdAndAlg(key);
            SecureFiles.writeAtomically(priv, "{\"keys\":[" + privJwk + "]}\n", SecureFiles.PRIVATE);
            SecureFiles.writeAtomically(pub, "{\"keys\":[" + key.published().toJSONString() + "]}\n", SecureFiles.PUBLIC_READ);
        } else {
            priv = out.resolve(base + "-private.pem");
            pub = out.resolve(base + "-public.pem");
            SecureFiles.writeAtomically(priv, KeyCodec.privatePem(key), SecureFiles.PRIVATE);
            SecureFiles.writeAtomically(pub, KeyCodec.publicPem(key), SecureFiles.PUBLIC_READ);
        }
        spec.commandLine().getOut().println("kid:     " + key.kid());
        spec.commandLine().getOut().println("private: " + priv + " (0600)");
        spec.commandLine().getOut().println("public:  " + pub);
        return ExitCode.OK;
    }

    private static String withIdAndAlg(KeyEntry key) {
        var json = key.jwk().toJSONObject();
        json.put("kid", key.kid());
        json.put("alg", key.algorithm().jwaName());
        json.put("use", "sig");
        return com.nimbusds.jose.util.JSONObjectUtils.toJSONString(json);
    }
}
