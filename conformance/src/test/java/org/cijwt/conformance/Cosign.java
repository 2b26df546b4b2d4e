package org.cijwt.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * cosign, the Sigstore client, run on the host as a verifier would run it (and bind-mounted into a
 * task container to sign there). Keyless signing with a local Fulcio and no transparency log:
 * {@code --tlog-upload=false} and {@code --insecure-skip-verify} (no SCT to check) to sign,
 * {@code --insecure-ignore-tlog --insecure-ignore-sct} and Fulcio's root to verify. Its home and
 * TUF cache are in the test's directory, never the user's.
 */
final class Cosign {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How a run ended. */
    record Result(int exit, String output) {
    }

    private final Path binary;
    private final Path home;

    Cosign(Path binary, Path home) throws IOException {
        this.binary = binary;
        this.home = Files.createDirectories(home);
    }

    /** The arguments of {@code cosign sign-blob} for a token file, with the paths as the signer sees them. */
    static List<String> signBlobArgs(String fulcioUrl, String tokenFile, String bundle, String artifact) {
        return List.of("sign-blob", "--yes", "--fulcio-url", fulcioUrl, "--insecure-skip-verify",
                "--identity-token", tokenFile, "--tlog-upload=false", "--bundle", bundle, artifact);
    }

    /** Signs {@code artifact} with the token in {@code tokenFile} (a file without a trailing newline). */
    Result signBlob(String fulcioUrl, Path tokenFile, Path bundle, Path artifact) throws IOException, InterruptedException {
        return run(signBlobArgs(fulcioUrl, tokenFile.toString(), bundle.toString(), artifact.toString()));
    }

    /** Verifies {@code artifact} against {@code bundle} with an exact identity and issuer, trusting {@code roots}. */
    Result verifyBlob(Path roots, Path bundle, Path artifact, String identity, String issuer) throws IOException, InterruptedException {
        return run(List.of("verify-blob", "--bundle", bundle.toString(), "--ca-roots", roots.toString(),
                "--insecure-ignore-tlog", "--insecure-ignore-sct",
                "--certificate-identity", identity, "--certificate-oidc-issuer", issuer, artifact.toString()));
    }

    /** The signing certificate in a bundle that {@code sign-blob} wrote. */
    static X509Certificate certificate(Path bundle) throws Exception {
        String pem = new String(Base64.getDecoder().decode(JSON.readTree(bundle.toFile()).path("cert").asText()), UTF_8);
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(UTF_8)));
    }

    private Result run(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.addAll(args);
        Path out = Files.createTempFile(home, "cosign-", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(out.toFile());
            pb.environment().put("HOME", home.toString());
            pb.environment().put("TUF_ROOT", home.resolve("tuf").toString());
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("cosign " + args.get(0) + " did not finish in " + TIMEOUT.toMinutes() + " min");
            }
            return new Result(p.exitValue(), Files.readString(out, UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
