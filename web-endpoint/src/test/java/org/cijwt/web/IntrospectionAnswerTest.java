package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jwt.JWTClaimsSet;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.tokens.Verification;
import org.junit.jupiter.api.Test;

/** The answer to an accepted token, built around the claims' own bytes ({@link IntrospectionHandler#spliced}). */
class IntrospectionAnswerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLAIMS = "{\"iss\":\"https://ci.example.test\",\"aud\":[\"vault\"],\"exp\":1800000000,"
            + "\"team\":\"m\\u00e4in\",\"custom\":{\"list\":[1,2]}}";

    private static Verification.Accepted accepted(String claimsJson, String kid) throws Exception {
        return accepted(claimsJson.getBytes(StandardCharsets.UTF_8), kid);
    }

    private static Verification.Accepted accepted(byte[] claimsJson, String kid) throws Exception {
        JWTClaimsSet claims = JWTClaimsSet.parse(new String(claimsJson, StandardCharsets.UTF_8).replace("\u0000", ""));
        return new Verification.Accepted(claims, claimsJson, kid, SigningAlgorithm.ES256);
    }

    @Test
    void splicedWhenClaimsArePlainThenTheAnswerIsTheClaimsWithActiveKidAndAlg() throws Exception {
        Buffer answer = IntrospectionHandler.spliced(accepted(CLAIMS, "key-1"));

        assertThat(answer).isNotNull();
        JsonNode expected = JSON.readTree(CLAIMS);
        ((com.fasterxml.jackson.databind.node.ObjectNode) expected).put("active", true).put("kid", "key-1").put("alg", "ES256");
        assertThat(JSON.readTree(answer.getBytes())).isEqualTo(expected);
        assertThat(answer.toString(StandardCharsets.UTF_8)).startsWith("{\"active\":true,\"iss\":").endsWith(",\"kid\":\"key-1\",\"alg\":\"ES256\"}");
    }

    @Test
    void splicedWhenTheKidNeedsEscapingThenItIsAJsonString() throws Exception {
        Buffer answer = IntrospectionHandler.spliced(accepted(CLAIMS, "a\"b\\c\n"));

        assertThat(JSON.readTree(answer.getBytes()).get("kid").asText()).isEqualTo("a\"b\\c\n");
    }

    @Test
    void splicedWhenTheClaimsNameAMemberTheServerWritesThenNullSoTheAnswerIsWrittenMemberByMember() throws Exception {
        for (String own : new String[] {"active", "kid", "alg", "reason"}) {
            String claims = "{\"iss\":\"https://ci.example.test\",\"" + own + "\":\"theirs\",\"exp\":1800000000}";
            assertThat(IntrospectionHandler.spliced(accepted(claims, "key-1"))).as(own).isNull();
        }
    }

    @Test
    void splicedWhenTheBytesAreNotUtf8InBracesThenNull() throws Exception {
        // UTF-16, which a JSON parser may detect and read, is not this answer's encoding.
        assertThat(IntrospectionHandler.spliced(accepted(CLAIMS.getBytes(StandardCharsets.UTF_16LE), "key-1"))).isNull();
        assertThat(IntrospectionHandler.spliced(accepted(" " + CLAIMS, "key-1"))).isNull();
        assertThat(IntrospectionHandler.spliced(accepted(CLAIMS + " ", "key-1"))).isNull();
        assertThat(IntrospectionHandler.spliced(accepted("{}", "key-1"))).isNull();
    }
}
