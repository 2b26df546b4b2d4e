package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.cijwt.cli.Main;
import org.cijwt.errors.ExitCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.io.SecureFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The server with {@code tls_cert}/{@code tls_key}: a self-signed certificate for 127.0.0.1 and
 * localhost is made per run for the committed TEST RSA key, and clients trust exactly that certificate.
 */
class TlsEndpointTest extends ServerTestBase {
    @TempDir
    static Path tlsDir;

    static Path cert;
    static Path key;
    /** Another RSA TEST key (the PEM one), for the "key of another certificate" case. */
    static Path otherKey;
    static String certPem;

    @BeforeAll
    static void makeSelfSignedCertificate() throws Exception {
        KeyPair pair = TestKeys.keyPair(TestKeys.Alg.RS256);
        certPem = pem(selfSigned(pair));
        cert = tlsDir.resolve("cert.pem");
        Files.writeString(cert, certPem);
        key = tlsDir.resolve("key.pem");
        SecureFiles.writeAtomically(key, pem(pair.getPrivate()), SecureFiles.PRIVATE);
        otherKey = TestKeys.copyPrivate(TestKeys.Alg.RS256.privatePemFile(), tlsDir);
    }

    @Override
    WebConfig.Builder configure(WebConfig.Builder b) {
        return b.tls(cert, key);
    }

    @Test
    void serveWhenTlsConfiguredThenDiscoveryAndJwksOverHttpsWithThatCertificate(Vertx vertx, VertxTestContext tc) {
        WebClient https = WebClient.create(vertx, new WebClientOptions().setSsl(true).setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(certPem))));
        assertThat(server.baseUri().getScheme()).isEqualTo("https");
        https.get(port(), "127.0.0.1", Endpoints.DISCOVERY).send()
                .compose(discovery -> {
                    tc.verify(() -> {
                        assertThat(discovery.statusCode()).isEqualTo(200);
                        JsonObject doc = discovery.bodyAsJsonObject();
                        assertThat(doc.getString("issuer")).isEqualTo(ISSUER);
                        assertThat(doc.getString("jwks_uri")).isEqualTo(ISSUER + Endpoints.JWKS);
                    });
                    // Host name verification against the DNS name in the certificate as well as its IP.
                    return https.get(port(), "localhost", Endpoints.JWKS).send();
                })
                .onComplete(tc.succeeding(jwks -> tc.verify(() -> {
                    assertThat(jwks.statusCode()).isEqualTo(200);
                    assertThat(jwks.getHeader("ETag")).isNotBlank();
                    assertThat(jwks.bodyAsJsonObject().getJsonArray("keys")).hasSize(3);
                    https.close();
                    tc.completeNow();
                })));
    }

    @Test
    void serveWhenTlsConfiguredThenPlainHttpOnTheSamePortGetsNoJwks(VertxTestContext tc) {
        client.get(port(), "127.0.0.1", Endpoints.JWKS).send()
                .<String>transform(ar -> Future.succeededFuture(ar.failed() ? "failed: " + ar.cause().getClass().getSimpleName()
                        : ar.result().statusCode() + " " + ar.result().bodyAsString()))
                .onComplete(tc.succeeding(outcome -> tc.verify(() -> {
                    // Either the connection is dropped or it gets an error status; never the key set.
                    assertThat(outcome).doesNotStartWith("200").doesNotContain("\"keys\"");
                    tc.completeNow();
                })));
    }

    @Test
    void serveWhenTlsKeyBelongsToAnotherCertificateThenExitsOneNamingTheFile() throws IOException {
        Result r = serve(cert, otherKey);

        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).startsWith("ci-jwt: CJ407 setting tls_key").contains(otherKey.toString()).contains("is not the private key of the certificate");
        assertOneCleanLine(r, otherKey);
    }

    @Test
    void serveWhenTlsKeyIsGarbageThenExitsOneNamingTheFile() throws Exception {
        Path garbage = tlsDir.resolve("garbage-key.pem");
        SecureFiles.writeAtomically(garbage, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==!!\n-----END PRIVATE KEY-----\n",
                SecureFiles.PRIVATE);
        Path text = tlsDir.resolve("text-key.pem");
        SecureFiles.writeAtomically(text, "this is not PEM\n", SecureFiles.PRIVATE);

        for (Path bad : new Path[] {garbage, text}) {
            Result r = serve(cert, bad);

            assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
            assertThat(r.err()).startsWith("ci-jwt: CJ407 setting tls_key").contains(bad.toString()).contains("holds no unencrypted PEM private key");
            assertOneCleanLine(r, bad);
        }
    }

    @Test
    void serveWhenTlsKeyIsReadableByOthersThenRefusedLikeEveryPrivateKey() throws Exception {
        Path open = tlsDir.resolve("open-key.pem");
        SecureFiles.writeAtomically(open, Files.readString(key), SecureFiles.PUBLIC_READ);

        Result r = serve(cert, open);

        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).contains(open.toString()).contains("chmod 600");
        assertOneCleanLine(r, open);
    }

    @Test
    void serveWhenTlsCertIsNotACertificateThenExitsOneNamingTheFile() throws Exception {
        Path notCert = Files.writeString(tlsDir.resolve("not-a-cert.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        Result r = serve(notCert, key);

        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).startsWith("ci-jwt: CJ407 setting tls_cert").contains(notCert.toString());
        assertOneCleanLine(r, notCert);
    }

    // ---- helpers -------------------------------------------------------------------------------

    record Result(int exit, String out, String err) {
    }

    /**
     * Runs {@code ci-jwt serve} in-process on a committed TEST key (no key generation per run); a start
     * that wrongly succeeds would block, hence the bound.
     */
    private Result serve(Path certFile, Path keyFile) {
        Path signingKey = TestKeys.copyPrivate(TestKeys.P256, dir);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> cli.execute("serve", "--listen", "127.0.0.1:0",
                "--keys", signingKey.toString(), "--reload-interval", "0",
                "--tls-cert", certFile.toString(), "--tls-key", keyFile.toString()));
        return new Result(exit, out.toString(), err.toString());
    }

    /** One line on stderr, no stack trace, and nothing of the key files' content. */
    private static void assertOneCleanLine(Result r, Path badFile) throws IOException {
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        assertThat(r.err()).startsWith("ci-jwt: CJ").doesNotContain("\tat ").doesNotContain("Exception")
                .doesNotContain("BEGIN").doesNotContain("PRIVATE KEY");
        for (Path secret : new Path[] {key, otherKey, badFile}) {
            for (String line : Files.readAllLines(secret)) {
                if (line.length() > 8 && !line.startsWith("-----")) {
                    assertThat(r.err()).doesNotContain(line);
                }
            }
        }
        assertThat(r.out()).isEmpty();
    }

    private static X509Certificate selfSigned(KeyPair pair) throws Exception {
        X500Name name = new X500Name("CN=ci-jwt TEST ONLY localhost");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), name, pair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
    }

    private static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }
}
