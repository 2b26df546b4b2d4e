package org.cijwt.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.cijwt.fixtures.ProjectPaths;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.LoopbackPorts;

/**
 * smallstep's step-ca on 127.0.0.1, initialised with {@code step ca init} in the test's directory
 * ({@code STEPPATH}), with an OIDC provisioner for a ci-jwt issuer added as an operator would add
 * it ({@link #provisionerArgs}), using the committed {@code fixtures/relying-parties/step-ca-x509.tpl}.
 */
final class StepCa implements AutoCloseable {
    /** The provisioner's name and client id: the audience a token must carry. */
    static final String PROVISIONER = "ci-jwt";
    static final String CLIENT_ID = "step-ca";
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(1);

    /** How a {@code step} run ended. */
    record Result(int exit, String output) {
    }

    private final Path step;
    private final Path home;
    private final String url;
    private final ServerProcess process;

    private StepCa(Path step, Path home, String url, ServerProcess process) {
        this.step = step;
        this.home = home;
        this.url = url;
        this.process = process;
    }

    /** The template every certificate of the provisioner is made from. */
    static Path committedTemplate() {
        return ProjectPaths.relyingParties().resolve("step-ca-x509.tpl");
    }

    /** {@code step ca provisioner add ...} for a ci-jwt issuer: the command docs/relying-parties.md shows. */
    static List<String> provisionerArgs(String issuer, Path template) {
        return List.of("ca", "provisioner", "add", PROVISIONER, "--type", "OIDC", "--client-id", CLIENT_ID,
                "--configuration-endpoint", issuer + "/.well-known/openid-configuration", "--x509-template", template.toString());
    }

    static StepCa start(Path dir, Path stepCa, Path step, String issuer) throws IOException, InterruptedException {
        int port = LoopbackPorts.free();
        // The CA's keys are encrypted with this TEST password; 0600 like every secret file.
        Path password = TestKeys.write(dir.resolve("password"), "a-TEST-only-ca-password", "rw-------");
        Path home = Files.createDirectories(dir.resolve("step"));
        StepCa ca = new StepCa(step, home, "https://127.0.0.1:" + port, null);
        ca.stepOk("ca", "init", "--name", "ci-jwt TEST CA", "--dns", "127.0.0.1", "--address", "127.0.0.1:" + port,
                "--provisioner", "admin", "--password-file", password.toString(), "--provisioner-password-file", password.toString(),
                "--deployment-type", "standalone");
        ca.stepOk(provisionerArgs(issuer, committedTemplate()).toArray(String[]::new));
        Path log = dir.resolve("step-ca.log");
        ServerProcess p = ServerProcess.start(dir, "step-ca", List.of(stepCa.toString(),
                        home.resolve("config/ca.json").toString(), "--password-file", password.toString()),
                Map.of("STEPPATH", home.toString(), "HOME", home.toString()),
                () -> logContains(log, "Serving HTTPS on 127.0.0.1:" + port));
        return new StepCa(step, home, ca.url, p);
    }

    /** Asks the CA for a certificate for {@code subject}, authorised by {@code token}; the certificate on success. */
    Result certificate(String token, String subject, Path crt, Path key) throws IOException, InterruptedException {
        return step("ca", "certificate", subject, crt.toString(), key.toString(), "--token", token, "--ca-url", url,
                "--root", home.resolve("certs/root_ca.crt").toString(), "--force");
    }

    static X509Certificate read(Path crt) throws Exception {
        try (InputStream in = Files.newInputStream(crt)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    String log() {
        return process == null ? "" : process.log();
    }

    private void stepOk(String... args) throws IOException, InterruptedException {
        Result r = step(args);
        assertThat(r.exit()).as("step %s: %s", String.join(" ", args), r.output()).isZero();
    }

    private Result step(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(step.toString());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(home, "step-", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(out.toFile());
            pb.environment().put("STEPPATH", home.toString());
            pb.environment().put("HOME", home.toString());
            Process p = pb.start();
            if (!p.waitFor(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("step " + String.join(" ", args) + " did not finish in a minute");
            }
            return new Result(p.exitValue(), Files.readString(out, UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static boolean logContains(Path log, String text) {
        try {
            return Files.exists(log) && Files.readString(log, UTF_8).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
    }
}
