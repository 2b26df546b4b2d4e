package org.cijwt.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1UTF8String;
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
 * Keyless signing with Sigstore: a local Fulcio (ephemeral CA, no CT log) trusts ci-jwt through the
 * committed {@code fixtures/relying-parties/fulcio-config.yaml}; a task container signs its artifact
 * with cosign and the token the agent delivered into it, and cosign on the host verifies it with the
 * job's identity and the issuer. Refusals use tokens from the fixtures' independent producer
 * ({@link TestJwts}) signed by the published TEST keys.
 *
 * <p>Set-up: Fulcio and cosign are built once per machine into {@code ~/.cache/ci-jwt/tools} (cold:
 * about 40 s and 3 min on two cores; see BENCHMARKS.md); with the cache warm this class takes about
 * 30 s.
 */
class FulcioCosignIT {
    private static final String AUDIENCE = "sigstore";
    /** Fulcio's OIDs (docs/oid-info.md in Fulcio): issuer (V2), build signer URI and digest, build config URI, run invocation URI. */
    private static final String OID_ISSUER = "1.3.6.1.4.1.57264.1.8";
    private static final String OID_BUILD_SIGNER_URI = "1.3.6.1.4.1.57264.1.9";
    private static final String OID_BUILD_SIGNER_DIGEST = "1.3.6.1.4.1.57264.1.10";
    private static final String OID_BUILD_CONFIG_URI = "1.3.6.1.4.1.57264.1.18";
    private static final String OID_RUN_INVOCATION_URI = "1.3.6.1.4.1.57264.1.21";
    private static final String JOB = Fulcio.CONFIG_URL + "/teams/main/pipelines/deploy/jobs/apply";

    @TempDir
    static Path dir;

    static Path cosignBinary;
    static Issuer issuer;
    static Fulcio fulcio;
    static Worker worker;
    static Cosign cosign;
    static Path roots;

    @BeforeAll
    static void start() throws Exception {
        Worker.assumeAvailable();
        Path fulcioBinary = Tools.require(Tools.fulcio());
        cosignBinary = Tools.require(Tools.cosign());
        issuer = Issuer.start(Files.createDirectories(dir.resolve("issuer")));
        fulcio = Fulcio.start(Files.createDirectories(dir.resolve("fulcio")), fulcioBinary, issuer.url());
        worker = Worker.start(Files.createDirectories(dir.resolve("worker")), issuer.url(), AUDIENCE);
        cosign = new Cosign(cosignBinary, dir.resolve("verifier"));
        roots = fulcio.writeRoots(dir.resolve("fulcio-roots.pem"));
    }

    @AfterAll
    static void stop() {
        ServerProcess.closeAll(worker, fulcio, issuer);
    }

    @Test
    void taskWhenItSignsItsArtifactWithItsTokenThenCosignVerifiesTheJobsIdentityAndTheCertificateCarriesTheBuild() throws Exception {
        Path out = signInATask(Map.of());

        Path artifact = out.resolve("artifact.txt");
        Path bundle = out.resolve("artifact.bundle");
        Cosign.Result verified = cosign.verifyBlob(roots, bundle, artifact, JOB, issuer.url());
        assertThat(verified.exit()).as(verified.output()).isZero();
        assertThat(verified.output()).contains("Verified OK");

        X509Certificate cert = Cosign.certificate(bundle);
        assertThat(cert.getSubjectAlternativeNames()).containsExactly(List.of(6, JOB));  // 6: a URI
        assertThat(extension(cert, OID_ISSUER)).isEqualTo(issuer.url());
        assertThat(extension(cert, OID_BUILD_SIGNER_URI)).isEqualTo(JOB);
        assertThat(extension(cert, OID_BUILD_CONFIG_URI)).isEqualTo(Fulcio.CONFIG_URL + "/teams/main/pipelines/deploy");
        assertThat(extension(cert, OID_RUN_INVOCATION_URI)).isEqualTo(Fulcio.CONFIG_URL + "/builds/1234");
        assertThat(cert.getExtensionValue(OID_BUILD_SIGNER_DIGEST)).as("no signed config was verified: no digest").isNull();
    }

    @Test
    void taskWhenItsBuildIsOfAnotherPipelineThenItsSignatureFailsTheIdentityConstraint() throws Exception {
        Path out = signInATask(Map.of("pipeline", "other"));

        Cosign.Result r = cosign.verifyBlob(roots, out.resolve("artifact.bundle"), out.resolve("artifact.txt"), JOB, issuer.url());

        assertThat(r.exit()).as(r.output()).isNotZero();
        assertThat(r.output()).contains("none of the expected identities matched")
                .contains(Fulcio.CONFIG_URL + "/teams/main/pipelines/other/jobs/apply");
    }

    @ParameterizedTest(name = "a {0} token of the issuer gets a certificate for its job")
    @EnumSource(Alg.class)
    void signWhenTheTokenIsSignedWithAnyPublishedAlgorithmThenFulcioIssuesTheCertificate(Alg alg) throws Exception {
        Path work = Files.createDirectories(dir.resolve("alg-" + alg));
        Cosign.Result signed = signOnTheHost(work, token(alg).sign());

        assertThat(signed.exit()).as(signed.output() + fulcio.log()).isZero();
        Cosign.Result verified = cosign.verifyBlob(roots, work.resolve("artifact.bundle"), work.resolve("artifact.txt"), JOB, issuer.url());
        assertThat(verified.exit()).as(verified.output()).isZero();
    }

    @Test
    void signWhenTheTokenIsForAnotherAudienceThenFulcioRefusesIt() throws Exception {
        assertRefused("audience", token(Alg.ES256).audience("vault").sign(), "oidc: expected audience \"sigstore\" got [\"vault\"]");
    }

    @Test
    void signWhenTheTokenHasExpiredThenFulcioRefusesIt() throws Exception {
        assertRefused("expired", token(Alg.EdDSA).expired().sign(), "oidc: token is expired");
    }

    @Test
    void signWhenTheTokenIsSignedByAnUnpublishedKeyThenFulcioRefusesIt() throws Exception {
        ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID("attacker").generate();
        assertRefused("forged", TestJwts.jwt(attacker).issuer(issuer.url()).audience(AUDIENCE).sign(), "failed to verify signature");
    }

    @Test
    void signWhenTheSameTokenIsUsedTwiceThenFulcioIssuesTwoCertificatesForItKeepsNoRecordOfJti() throws Exception {
        String token = token(Alg.RS256).sign();
        Path first = Files.createDirectories(dir.resolve("replay-1"));
        Path second = Files.createDirectories(dir.resolve("replay-2"));

        assertThat(signOnTheHost(first, token).exit()).isZero();
        assertThat(signOnTheHost(second, token).exit()).isZero();

        assertThat(Cosign.certificate(second.resolve("artifact.bundle")).getSerialNumber())
                .isNotEqualTo(Cosign.certificate(first.resolve("artifact.bundle")).getSerialNumber());
    }

    /** cosign is refused a certificate, with Fulcio's answer to the client, and Fulcio's log names why. */
    private static void assertRefused(String name, String token, String reason) throws Exception {
        int logged = fulcio.log().length();

        Cosign.Result r = signOnTheHost(Files.createDirectories(dir.resolve(name)), token);

        assertThat(r.exit()).as(r.output()).isNotZero();
        assertThat(r.output()).contains("There was an error processing the identity token").doesNotContain("Wrote bundle");
        assertThat(fulcio.log().substring(logged)).contains(reason);
    }

    /**
     * Runs a task of the sample build (with {@code metadata} changed) that writes an artifact and signs
     * it with cosign, bind-mounted read-only, and the token file the agent delivered; returns the host
     * directory holding {@code artifact.txt} and {@code artifact.bundle}.
     */
    private static Path signInATask(Map<String, String> metadata) throws Exception {
        Path out = Files.createDirectories(dir.resolve("task-" + System.nanoTime()));
        List<String> sign = Cosign.signBlobArgs(fulcio.url(), "\"$CONCOURSE_CI_JWT_FILE\"", "/out/artifact.bundle", "/out/artifact.txt");
        String script = String.join("\n",
                "set -e",
                "echo 'the build output' > /out/artifact.txt",
                "HOME=/out TUF_ROOT=/out/tuf /usr/local/bin/cosign " + String.join(" ", sign) + " 2>&1");
        List<String> flags = new ArrayList<>(Worker.mountReadOnly(cosignBinary, "/usr/local/bin/cosign"));
        flags.addAll(Worker.mountWritable(out, "/out"));
        Containerd.Result r = worker.runTask(metadata, flags, script);
        assertThat(r.output()).contains("Wrote bundle to file /out/artifact.bundle");
        return out;
    }

    private static Cosign.Result signOnTheHost(Path work, String token) throws Exception {
        Path tokenFile = Files.writeString(work.resolve("token"), token, UTF_8);  // no trailing newline: cosign reads it raw
        Path artifact = Files.writeString(work.resolve("artifact.txt"), "an artifact\n", UTF_8);
        return cosign.signBlob(fulcio.url(), tokenFile, work.resolve("artifact.bundle"), artifact);
    }

    private static TestJwts.Builder token(Alg alg) {
        return TestJwts.jwt(alg).issuer(issuer.url()).audience(AUDIENCE);
    }

    /** A Fulcio extension's value: an OCTET STRING holding a DER UTF8String. */
    private static String extension(X509Certificate cert, String oid) throws Exception {
        byte[] value = cert.getExtensionValue(oid);
        assertThat(value).as("extension %s", oid).isNotNull();
        return ASN1UTF8String.getInstance(ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(value).getOctets())).getString();
    }
}
