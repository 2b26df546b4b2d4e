package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.testkit.TestKeyRings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent asks its identity source which build a container is, and delivers nothing it is not told to. */
class AgentIdentityTest {
    private static final String CONFIG = "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\","
            + "\"user\":{\"uid\":0,\"gid\":0}},\"root\":{\"path\":\"rootfs\"}}";

    @TempDir
    Path dir;

    private Path bundle() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), CONFIG);
        return bundle;
    }

    private Agent agent(IdentitySource identity) throws CiJwtException {
        return Agent.builder(TestKeyRings::signing, AgentConfig.defaults("https://ci.example.test"), dir.resolve("state"))
                .identity(identity).start();
    }

    @Test
    void createWhenTheAnnotationSourceGetsNoMetadataThenRefusedNamingTheSource() throws Exception {
        Path bundle = bundle();
        try (Agent agent = agent(new AnnotationIdentity())) {
            assertThatThrownBy(() -> agent.create(new ContainerService.CreateRequest("c1", bundle, Optional.empty(), Optional.empty())))
                    .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.REQUEST_INVALID))
                    .hasMessageContaining("identity source is annotation");
            assertThat(agent.list()).isEmpty();
        }
        assertThat(Files.readString(bundle.resolve("config.json"))).isEqualTo(CONFIG);
    }

    @Test
    void createWhenTheSourceSaysNotManagedThenNothingIsWrittenAndTheReasonIsReturned() throws Exception {
        Path bundle = bundle();
        IdentitySource notOurs = TestIdentities.notManaged("a check container; step type check is not enabled");
        try (Agent agent = agent(notOurs)) {
            ContainerService.Created created = agent.create(new ContainerService.CreateRequest("c1", bundle,
                    Optional.of(new ObjectMapper().readTree(TestKeys.metadata("main"))), Optional.empty()));

            assertThat(created).isEqualTo(new ContainerService.Unmanaged("c1", "a check container; step type check is not enabled"));
            assertThat(agent.list()).isEmpty();
            assertThat(agent.liveContainers()).isZero();
        }
        assertThat(Files.readString(bundle.resolve("config.json"))).isEqualTo(CONFIG);
        assertThat(dir.resolve("state/tokens/c1")).doesNotExist();
    }

    @Test
    void createWhenTheSourceNamesTheBuildThenItsClaimsWinOverWhatTheCallerSent() throws Exception {
        Path bundle = bundle();
        ObjectMapper json = new ObjectMapper();
        IdentitySource fromElsewhere = new IdentitySource() {
            @Override
            public String name() {
                return "test";
            }

            @Override
            public Identity identify(ContainerService.CreateRequest request) throws CiJwtException {
                try {
                    return new Build(json.readTree(TestKeys.metadata("main")));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        String forged = "{\"team\":\"admins\",\"teamid\":\"99\",\"pipeline\":\"p\",\"pipelineid\":\"1\",\"job\":\"j\",\"jobid\":\"2\","
                + "\"buildid\":\"3\",\"build_name\":\"4\",\"task\":\"t\",\"step_type\":\"task\",\"worker\":\"w\"}";
        try (Agent agent = agent(fromElsewhere)) {
            ContainerService.Created created = agent.create(new ContainerService.CreateRequest("c1", bundle,
                    Optional.of(json.readTree(forged)), Optional.empty()));

            assertThat(created).isInstanceOf(ContainerService.Delivered.class);
            String token = Files.readString(dir.resolve("state/tokens/c1/jwt")).strip();
            String claims = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(json.readTree(claims).get("team").asText()).isEqualTo(json.readTree(TestKeys.metadata("main")).get("team").asText())
                    .isNotEqualTo("admins");
            assertThat(agent.delete("c1")).isTrue();
        }
    }
    private Path annotatedBundle(String annotations) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("annotated"));
        Files.writeString(bundle.resolve("config.json"), CONFIG.substring(0, CONFIG.length() - 1) + ",\"annotations\":" + annotations + "}");
        return bundle;
    }

    @Test
    void createWhenTheRequestLeavesMetadataOutThenTheBundlesAnnotationsNameTheBuildAndProfile() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String metadata = json.readTree(TestKeys.metadata("main")).toString();
        Path bundle = annotatedBundle(json.writeValueAsString(java.util.Map.of(AnnotationIdentity.METADATA_ANNOTATION, metadata,
                AnnotationIdentity.PROFILE_ANNOTATION, AgentConfig.DEFAULT_PROFILE)));
        try (Agent agent = agent(new AnnotationIdentity())) {
            ContainerService.Created created = agent.create(new ContainerService.CreateRequest("c1", bundle, Optional.empty(), Optional.empty()));

            assertThat(created).isInstanceOf(ContainerService.Delivered.class);
            String token = Files.readString(dir.resolve("state/tokens/c1/jwt")).strip();
            String claims = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(json.readTree(claims).get("team").asText()).isEqualTo(json.readTree(metadata).get("team").asText());
            assertThat(agent.list()).singleElement().satisfies(c -> assertThat(c.profile()).isEqualTo(AgentConfig.DEFAULT_PROFILE));
            assertThat(agent.delete("c1")).isTrue();
        }
    }

    @Test
    void createWhenTheBundlesAnnotationsAreNotValidThenRefusedNamingTheAnnotationAndNothingIsWritten() throws Exception {
        for (String annotations : new String[] {"{\"org.cijwt.metadata\":\"{not json\"}", "{\"org.cijwt.metadata\":\"[1]\"}",
                "{\"org.cijwt.metadata\":\"{}\",\"org.cijwt.profile\":\"\"}"}) {
            Path bundle = annotatedBundle(annotations);
            String before = Files.readString(bundle.resolve("config.json"));
            try (Agent agent = agent(new AnnotationIdentity())) {
                assertThatThrownBy(() -> agent.create(new ContainerService.CreateRequest("c1", bundle, Optional.empty(), Optional.empty())))
                        .as(annotations).isInstanceOf(CiJwtException.class).hasMessageContaining("org.cijwt.")
                        .hasMessageNotContaining("not json");
                assertThat(agent.list()).isEmpty();
            }
            assertThat(Files.readString(bundle.resolve("config.json"))).isEqualTo(before);
        }
    }
}
