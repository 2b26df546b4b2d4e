package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.api.Test;

class AgentApiRequestTest {

    private static void refused(String body, String message) {
        assertThatThrownBy(() -> AgentApi.parseCreate(body))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.REQUEST_INVALID))
                .hasMessageContaining(message);
    }

    @Test
    void parseCreateWhenTheDesignedFieldsAreGivenThenARequest() throws Exception {
        ContainerService.CreateRequest r = AgentApi.parseCreate(
                "{\"id\":\"c-1\",\"bundle\":\"/run/b/c-1\",\"metadata\":{\"team\":\"main\"},\"profile\":\"vault\"}");

        assertThat(r.id()).isEqualTo("c-1");
        assertThat(r.bundle()).isEqualTo(Path.of("/run/b/c-1"));
        assertThat(r.metadata().orElseThrow().get("team").asText()).isEqualTo("main");
        assertThat(r.profile()).contains("vault");
    }

    @Test
    void parseCreateWhenAFieldIsUnknownOrMistypedThenRefusedNamingIt() {
        refused("{\"id\":\"c\",\"bundle\":\"/b\",\"metadata\":{},\"ttl\":\"24h\"}", "unknown field 'ttl'");
        refused("{\"id\":1,\"bundle\":\"/b\",\"metadata\":{}}", "id must be a non-empty string");
        refused("{\"id\":\"c\",\"bundle\":\"/b\",\"metadata\":\"team=main\"}", "metadata must be a JSON object");
        refused("{\"id\":\"c\",\"bundle\":\"/b\",\"metadata\":{},\"profile\":{\"ttl\":\"24h\"}}", "profile must be a non-empty string");
    }

    @Test
    void parseCreateWhenIdOrBundleCouldEscapeThenRefused() {
        refused("{\"id\":\"../etc\",\"bundle\":\"/b\",\"metadata\":{}}", "id is not a runc container id");
        refused("{\"id\":\"c\",\"bundle\":\"relative/b\",\"metadata\":{}}", "bundle must be an absolute");
        refused("{\"id\":\"c\",\"bundle\":\"/b/../etc\",\"metadata\":{}}", "normalised");
    }

    @Test
    void parseCreateWhenBodyIsNotJsonOrHasDuplicateKeysThenRefused() {
        refused("not json", "not valid JSON");
        refused("[1]", "must be a JSON object");
        refused("{\"id\":\"c\",\"id\":\"d\",\"bundle\":\"/b\",\"metadata\":{}}", "not valid JSON");
    }

    /** Review finding 5 (issue 20): the API parsed floats as doubles, so 1.0000000000000001 became 1. */
    @Test
    void parseCreateWhenMetadataHasNumbersThenTheAgentSeesWhatMintSeesDigitForDigit() throws Exception {
        for (String value : List.of("1.0000000000000001", "1", "1.5", "1e400", "0.1", "100000000000000000001")) {
            String metadata = withInstanceVar(value);
            String viaApi = AgentApi.parseCreate("{\"id\":\"c\",\"bundle\":\"/b\",\"metadata\":" + metadata + "}")
                    .metadata().orElseThrow().toString();

            assertThat(outcome(viaApi)).as(value).isEqualTo(outcome(metadata));
        }
        assertThat(outcome(withInstanceVar("1.0000000000000001")))
                .as("mint's own answer, which the agent must share").startsWith("refused CJ101");
    }

    private static String withInstanceVar(String number) {
        String sample = TestKeys.metadata("main");
        assertThat(sample).contains("\"instance_vars\": {\"branch\": \"dev\"}");
        return sample.replace("\"instance_vars\": {\"branch\": \"dev\"}", "\"instance_vars\": {\"x\": " + number + "}");
    }

    private static String outcome(String metadataJson) {
        try {
            BuildMetadata m = BuildMetadata.fromJson(metadataJson, "metadata");
            return "accepted " + m.instanceVars();
        } catch (CiJwtException e) {
            return "refused " + e.code().id();
        }
    }

    @Test
    void statusWhenErrorCodesAreMappedThenClientErrorsAre4xxAndTheAgentsOwnTroubleIs503() {
        assertThat(AgentApi.status(ErrorCode.METADATA_INVALID)).isEqualTo(400);
        assertThat(AgentApi.status(ErrorCode.CONTAINER_CONFLICT)).isEqualTo(409);
        assertThat(AgentApi.status(ErrorCode.CONTAINER_UNKNOWN)).isEqualTo(404);
        assertThat(AgentApi.status(ErrorCode.KEY_SERVICE_FAILED)).isEqualTo(503);
        // The agent's own trouble is not the caller's fault: a full state directory, Concourse down.
        assertThat(AgentApi.status(ErrorCode.DELIVERY_FAILED)).isEqualTo(503);
        assertThat(AgentApi.status(ErrorCode.IO_FAILED)).isEqualTo(503);
        assertThat(AgentApi.status(ErrorCode.CONCOURSE_UNAVAILABLE)).isEqualTo(503);
        assertThat(AgentApi.status(ErrorCode.CONCOURSE_LOGIN_REFUSED)).isEqualTo(503);
        assertThat(AgentApi.status(ErrorCode.CONTAINER_NOT_IN_CONCOURSE)).isEqualTo(400);
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(AgentApi.status(c)).isBetween(400, 503).isNotEqualTo(500);
        }
    }
}
