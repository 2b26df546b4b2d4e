package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cijwt.fixtures.RelyingParties;
import org.cijwt.fixtures.TestKeys;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokens minted by the CLI are verified by independent code in other languages (Python's
 * cryptography with no JWT library, PyJWT, and JavaScript's jose) from the public JWKS alone.
 */
class CrossLanguageVerificationIT {
    private static final String ISSUER = "https://ci.example.com";

    @TempDir
    static Path dir;
    private static Path keys;
    private static Path jwks;
    private static Path metadata;

    @BeforeAll
    static void publish() throws Exception {
        RelyingParties.assumePythonTools();
        RelyingParties.assumeNodeTools();
        keys = dir.resolve("keys");
        metadata = TestKeys.metadataFile("main", dir);
        CliRun r = CliRun.run("jwks", "--keys", keys.toString());
        assertThat(r.exit()).isZero();
        jwks = Files.writeString(dir.resolve("jwks.json"), r.out());
    }

    private static String mint(String alg, String ttl) {
        CliRun r = CliRun.run("mint", "--metadata", metadata.toString(), "--keys", keys.toString(), "--alg", alg,
                "--audience", "vault", "--ttl", ttl, "--issuer", ISSUER);
        assertThat(r.exit()).as(r.err()).isZero();
        return r.out().strip();
    }

    @ParameterizedTest
    @ValueSource(strings = {"EdDSA", "ES256", "RS256"})
    void verifyWhenEachIndependentVerifierHasOnlyThePublicJwksThenAllAccept(String alg) {
        String token = mint(alg, "10m");
        List<RelyingParties.Verdict> verdicts = RelyingParties.verifyWithAll(jwks, ISSUER, "vault", token);
        assertThat(verdicts).hasSize(3);
        for (RelyingParties.Verdict v : verdicts) {
            String claims = v.assertAccepted();
            assertThat(claims).as(v.verifier()).contains("\"pipeline\"").contains("\"deploy\"").contains("\"buildid\"");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"EdDSA", "ES256", "RS256"})
    void verifyWhenSignatureTamperedThenEveryIndependentVerifierRejects(String alg) {
        String token = mint(alg, "10m");
        String[] p = token.split("\\.");
        char last = p[2].charAt(10);
        String tampered = p[0] + "." + p[1] + "." + p[2].substring(0, 10) + (last == 'A' ? 'B' : 'A') + p[2].substring(11);
        for (RelyingParties.Verdict v : RelyingParties.verifyWithAll(jwks, ISSUER, "vault", tampered)) {
            assertThat(v.rejected()).as(v.verifier() + ": " + v.stderr()).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ES256"})
    void verifyWhenAudienceDiffersThenEveryIndependentVerifierRejects(String alg) {
        String token = mint(alg, "10m");
        for (RelyingParties.Verdict v : RelyingParties.verifyWithAll(jwks, ISSUER, "sts.amazonaws.com", token)) {
            v.assertRejected("audience");
        }
    }
}
