package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cijwt.cli.CliRun.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Base64;
import org.cijwt.fixtures.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token options of {@code mint} and {@code preflight}, above all "--nbf-skew 0 turns backdating off". */
class PolicyOptionsTest {
    @TempDir
    Path dir;

    @Test
    void mintWhenNbfSkewIsZeroThenNbfIsNotBackdated() throws Exception {
        JsonNode claims = mint("--nbf-skew", "0");

        assertThat(claims.get("nbf").asLong()).isEqualTo(claims.get("iat").asLong());
    }

    @Test
    void mintWhenNbfSkewIsNotGivenThenNbfIsBackdatedThirtySeconds() throws Exception {
        JsonNode claims = mint();

        assertThat(claims.get("iat").asLong() - claims.get("nbf").asLong()).isEqualTo(30);
    }

    @Test
    void mintWhenNbfSkewIsAboveFiveMinutesThenRejectedWithThePolicyCode() {
        CliRun r = run("mint", "--metadata", TestKeys.metadataFile("main", dir).toString(), "--keys", "ephemeral",
                "--nbf-skew", "6m");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("ci-jwt: CJ102 nbf skew 6m is outside [0s, 5m]");
    }

    @Test
    void mintWhenAlgorithmIsOutsideTheAllowListThenRejectedWithItsCode() {
        CliRun r = run("mint", "--metadata", TestKeys.metadataFile("main", dir).toString(), "--keys", "ephemeral",
                "--alg", "HS256");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("ci-jwt: CJ207 algorithm 'HS256' is not allowed");
    }

    private JsonNode mint(String... extra) throws Exception {
        String[] args = new String[4 + extra.length];
        args[0] = "mint";
        args[1] = "--metadata";
        args[2] = TestKeys.metadataFile("main", dir).toString();
        args[3] = "--keys=ephemeral";
        System.arraycopy(extra, 0, args, 4, extra.length);
        CliRun r = run(args);
        assertThat(r.exit()).as(r.err()).isZero();
        String payload = r.out().strip().split("\\.")[1];
        return new ObjectMapper().readTree(Base64.getUrlDecoder().decode(payload));
    }
}
