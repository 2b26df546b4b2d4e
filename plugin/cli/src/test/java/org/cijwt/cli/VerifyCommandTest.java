package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cijwt.cli.CliRun.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.util.Base64URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.ExitCode;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.EphemeralKeySource;
import org.cijwt.keys.KeyRing;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ci-jwt verify} prints what a token says without letting the token steer the terminal. */
class VerifyCommandTest {
    private static final String ISSUER = "https://ci.example.com";
    private static KeyRing signing;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() throws Exception {
        signing = new EphemeralKeySource(Set.of(SigningAlgorithm.EdDSA)).load();
    }

    private Path jwks() throws Exception {
        return Files.writeString(dir.resolve("jwks.json"), signing.publicJwksJson());
    }

    private static String mint(BuildMetadata md) throws Exception {
        ClaimsPolicy policy = ClaimsPolicy.builder().issuer(ISSUER).audience("vault").algorithm(SigningAlgorithm.EdDSA)
                .ttl(Duration.ofMinutes(10)).build();
        return new org.cijwt.tokens.TokenMinter(() -> signing, Clock.systemUTC()).mint(md, policy).compact();
    }

    @Test
    void verifyWhenTheKidHoldsAnEscapeSequenceAndANewlineThenTheRejectionIsOneEscapedLine() throws Exception {
        String[] p = mint(BuildMetadata.builder().team("main").pipeline("deploy").buildId("1").build()).split("\\.");
        // A forged header: ESC [2J clears the screen; the newline would start a fake second line.
        String header = Base64URL.encode("{\"alg\":\"EdDSA\",\"kid\":\"x\\u001b[2J\\nci-jwt: token OK\\u009b0m\"}").toString();
        CliRun r = run("verify", "--jwks", jwks().toString(), "--issuer", ISSUER, "--audience", "vault",
                header + "." + p[1] + "." + p[2]);
        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        String line = r.err().stripTrailing();
        assertThat(line).startsWith("rejected: unknown_kid").doesNotContain("\n").doesNotContain("\u001b").doesNotContain("\u009b");
        assertThat(line).contains("x\\u001B[2J\\u000Aci-jwt: token OK\\u009B0m");
    }

    @Test
    void verifyWhenClaimsHoldTerminalControlsThenThePrintedJsonEscapesThemAndReadsBackTheSame() throws Exception {
        // A pipeline author names things; C1 CSI and a bidi override pass JSON encoders unescaped.
        String pipeline = "de\u009b2Jploy\u202eyolpmi\u001b]0;x\u0007\u2028end";
        String token = mint(BuildMetadata.builder().team("main").pipeline(pipeline).buildId("1").build());
        CliRun r = run("verify", "--jwks", jwks().toString(), "--issuer", ISSUER, "--audience", "vault", token);
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCode.OK);
        assertThat(r.out().chars().filter(c -> (c < 0x20 && c != '\n') || (c >= 0x7f && c <= 0x9f) || c == 0x202e || c == 0x2028))
                .as("raw control characters in the output").isEmpty();
        JsonNode printed = new ObjectMapper().readTree(r.out());
        assertThat(printed.path("pipeline").asText()).isEqualTo(pipeline);
        assertThat(printed.path("team").asText()).isEqualTo("main");
    }
}
