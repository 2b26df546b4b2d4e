package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cijwt.cli.CliRun.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.cijwt.fixtures.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the command line in-process, as a user would type it. */
class CliTest {
    @TempDir
    Path dir;


    @Test
    void keygenWhenJwksThenPrivateFileIs0600AndPublicFileHasNoPrivateMember() throws Exception {
        CliRun r = run("keygen", "--alg", "EdDSA", "--key-id", "k1", "--out", dir.toString());
        assertThat(r.exit()).isZero();
        Path priv = dir.resolve("EdDSA-k1-private.json");
        Path pub = dir.resolve("EdDSA-k1-public.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(priv))).isEqualTo("rw-------");
        assertThat(Files.readString(priv)).contains("\"d\"");
        assertThat(Files.readString(pub)).doesNotContain("\"d\"").contains("\"kid\":\"k1\"");
        assertThat(r.out()).doesNotContain(Files.readString(priv));
    }

    @Test
    void keygenWhenPemThenFilesAreNamedByThumbprint() throws Exception {
        CliRun r = run("keygen", "--alg", "ES256", "--format", "pem", "--out", dir.toString());
        assertThat(r.exit()).isZero();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .anyMatch(n -> n.matches("ES256-[A-Za-z0-9_-]{43}-private\\.pem"))
                    .anyMatch(n -> n.matches("ES256-[A-Za-z0-9_-]{43}-public\\.pem"));
        }
    }

    @Test
    void mintThenVerifyWithThePublishedJwksRoundTripsForEachAlgorithm() throws Exception {
        Path keys = dir.resolve("keys");
        Path md = TestKeys.metadataFile("main", dir);
        CliRun jwks = run("jwks", "--keys", keys.toString());
        assertThat(jwks.exit()).isZero();
        for (String member : List.of("\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\"")) {
            assertThat(jwks.out()).doesNotContain(member);
        }
        Path jwksFile = Files.writeString(dir.resolve("jwks.json"), jwks.out());
        for (String alg : List.of("EdDSA", "ES256", "RS256")) {
            CliRun mint = run("mint", "--metadata", md.toString(), "--keys", keys.toString(), "--alg", alg,
                    "--audience", "vault", "--ttl", "10m", "--issuer", "https://ci.example.com");
            assertThat(mint.exit()).as(mint.err()).isZero();
            String token = mint.out().strip();
            CliRun ok = run("verify", "--jwks", jwksFile.toString(), "--issuer", "https://ci.example.com", "--audience", "vault", token);
            assertThat(ok.exit()).as(ok.err()).isZero();
            assertThat(ok.out()).contains("\"pipeline\" : \"deploy\"");
            CliRun wrong = run("verify", "--jwks", jwksFile.toString(), "--issuer", "https://ci.example.com", "--audience", "aws", token);
            assertThat(wrong.exit()).isEqualTo(1);
            assertThat(wrong.err().strip()).startsWith("rejected: wrong_audience").doesNotContain(token).doesNotContain("\n");
        }
    }

    @Test
    void mintWhenMetadataHasAnUnknownKeyThenOneLineAndExit1() {
        Path md = TestKeys.metadataFile("unknown-key", dir);
        CliRun r = run("mint", "--metadata", md.toString(), "--keys", "ephemeral");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("ci-jwt: CJ101").contains("unknown key 'colour'").doesNotContain("\n").doesNotContain("Exception");
    }

    @Test
    void mintWhenTtlOutOfBoundsThenRejectedNamingTheTtl() {
        Path md = TestKeys.metadataFile("main", dir);
        CliRun r = run("mint", "--metadata", md.toString(), "--keys", "ephemeral", "--ttl", "48h");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("ttl 48h is outside [1m, 24h]");
    }

    @Test
    void usageErrorsThenExit2WithOneLineAndNoStackTrace() {
        for (CliRun r : List.of(run("mint"), run("mint", "--metadata"), run("verify", "--jwks", "x"), run("frobnicate"),
                run("mint", "--metadata", "m.json", "--ttl", "soon"))) {
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.err().strip()).doesNotContain("\n").doesNotContain("at org.").contains("--help");
        }
    }

    @Test
    void helpWhenAskedOnEachVerbThenExit0() {
        for (String verb : List.of("keygen", "mint", "verify", "jwks", "preflight")) {
            CliRun r = run(verb, "--help");
            assertThat(r.exit()).isZero();
            assertThat(r.out()).contains("Usage: ci-jwt " + verb);
        }
    }

    @Test
    void verifyWhenTokenIsGarbageThenMalformed() throws Exception {
        Path jwks = TestKeys.copyPublic(TestKeys.VERIFICATION_JWKS, dir);
        CliRun r = run("verify", "--jwks", jwks.toString(), "--issuer", "https://x.example", "--audience", "a", "garbage");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("rejected: malformed");
    }


    @Test
    void preflightWhenItsConfigSetsOnRequestThenRefusedWithOneLineAndNothingWritten() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("on-request-bundle"));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\"},"
                + "\"root\":{\"path\":\"rootfs\"}}");
        String before = Files.readString(bundle.resolve("config.json"));
        Path config = Files.writeString(dir.resolve("on-request.yml"),
                "tokens: [{name: jwt, audiences: [vault]}]\non_request: {audiences: [sts.amazonaws.com]}\n");

        CliRun r = run("preflight", "--bundle", bundle.toString(), "--metadata", TestKeys.metadataFile("main", dir).toString(),
                "--config", config.toString(), "--keys", "ephemeral", "--state-dir", dir.resolve("state").toString());

        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        assertThat(r.err().strip()).contains("CJ401").contains("on_request is a setting of the agent's profiles").doesNotContain("\n");
        assertThat(Files.readString(bundle.resolve("config.json"))).isEqualTo(before);
        try (Stream<Path> files = Files.list(bundle)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("config.json");
        }
    }
}
