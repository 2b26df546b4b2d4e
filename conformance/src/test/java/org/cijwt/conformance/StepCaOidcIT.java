package org.cijwt.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.cijwt.fixtures.TestJwts;
import org.cijwt.fixtures.TestKeys.Alg;
import org.cijwt.fixtures.launch.Containerd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * X.509 certificates for ci-jwt tokens from smallstep's step-ca: an OIDC provisioner reads the
 * issuer's discovery and JWKS, and the committed template makes the certificate's identity from the
 * token's claims alone. step-ca records every token it accepted.
 *
 * <p>Set-up: step-ca and step are built once per machine into {@code ~/.cache/ci-jwt/tools} (cold:
 * a few minutes with the modules downloaded; see BENCHMARKS.md); with the cache warm this class
 * takes about 20 s.
 */
class StepCaOidcIT {
    private static final String JOB_URI = "https://ci.example.com/teams/main/pipelines/deploy/jobs/apply";

    @TempDir
    static Path dir;

    static Issuer issuer;
    static StepCa ca;
    static Worker worker;

    @BeforeAll
    static void start() throws Exception {
        Worker.assumeAvailable();
        Path stepCa = Tools.require(Tools.stepCa());
        Path step = Tools.require(Tools.step());
        issuer = Issuer.start(Files.createDirectories(dir.resolve("issuer")));
        ca = StepCa.start(Files.createDirectories(dir.resolve("ca")), stepCa, step, issuer.url());
        worker = Worker.start(Files.createDirectories(dir.resolve("worker")), issuer.url(), StepCa.CLIENT_ID);
    }

    @AfterAll
    static void stop() {
        ServerProcess.closeAll(worker, ca, issuer);
    }

    @Test
    void certificateWhenATaskPresentsItsTokenThenItsIdentityComesFromTheClaimsAndTheSameTokenTwiceIsRefused() throws Exception {
        String token = taskToken(Map.of());
        Path crt = dir.resolve("task.crt");

        // The requester asks for another name; the template ignores what the CSR says.
        StepCa.Result first = ca.certificate(token, "main/prod", crt, dir.resolve("task.key"));
        StepCa.Result again = ca.certificate(token, "main/deploy", dir.resolve("again.crt"), dir.resolve("again.key"));

        assertThat(first.exit()).as(first.output() + ca.log()).isZero();
        X509Certificate cert = StepCa.read(crt);
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=main/deploy");
        assertThat(cert.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
                List.of(6, JOB_URI), List.of(6, "https://ci.example.com/builds/1234"));
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");  // clientAuth

        assertThat(again.exit()).isNotZero();
        assertThat(ca.log()).contains("token already used");
    }

    @ParameterizedTest(name = "a {0} token of the issuer gets a certificate")
    @EnumSource(Alg.class)
    void certificateWhenTheTokenIsSignedWithAnyPublishedAlgorithmThenIssued(Alg alg) throws Exception {
        Path crt = dir.resolve(alg + ".crt");

        StepCa.Result r = ca.certificate(token(alg).sign(), "main/deploy", crt, dir.resolve(alg + ".key"));

        assertThat(r.exit()).as(r.output() + ca.log()).isZero();
        assertThat(StepCa.read(crt).getSubjectX500Principal().getName()).isEqualTo("CN=main/deploy");
    }

    @Test
    void certificateWhenTheBuildIsOfAnotherTeamThenTheTemplateRefusesIt() throws Exception {
        assertRefused(token(Alg.ES256).claim("team", "other").sign(), "this CA issues certificates to builds of team main only");
    }

    @Test
    void certificateWhenTheTokenIsForAnotherAudienceThenRefused() throws Exception {
        assertRefused(token(Alg.ES256).audience("vault").sign(), "provisioner not found or invalid audience (vault)");
    }

    @Test
    void certificateWhenTheTokenHasExpiredThenRefused() throws Exception {
        // step-ca refuses any token issued before it started ("token issued before the bootstrap of certificate
        // authority"), which an ordinary expired token is; so this one is issued now and expired an hour ago.
        String expired = token(Alg.RS256).claim("exp", Instant.now().minus(Duration.ofHours(1)).getEpochSecond()).sign();
        assertRefused(expired, "token is expired");
    }

    private static void assertRefused(String token, String reason) throws Exception {
        int logged = ca.log().length();

        StepCa.Result r = ca.certificate(token, "main/deploy", dir.resolve("refused.crt"), dir.resolve("refused.key"));

        assertThat(r.exit()).as(r.output()).isNotZero();
        assertThat(ca.log().substring(logged)).contains(reason);
    }

    /** The token a task of the sample build (with {@code metadata} changed) reads from its token file. */
    private static String taskToken(Map<String, String> metadata) throws Exception {
        Containerd.Result r = worker.runTask(metadata, List.of(), "echo \"token=$(cat \"$CONCOURSE_CI_JWT_FILE\")\"");
        return r.output().lines().filter(l -> l.startsWith("token=")).findFirst().orElseThrow().substring("token=".length()).strip();
    }

    private static TestJwts.Builder token(Alg alg) {
        return TestJwts.jwt(alg).issuer(issuer.url()).audience(StepCa.CLIENT_ID);
    }
}
