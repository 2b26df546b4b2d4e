package org.cijwt.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeySourcesTest {
    @TempDir
    Path dir;

    private KeySource resolve(String spec) throws CiJwtException {
        return KeySources.resolve(spec, KeySources.Options.defaults().withEnv(Map.of()));
    }

    private Path pem(String... names) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String n : names) {
            sb.append(TestKeys.text(n));
        }
        return TestKeys.write(dir.resolve("keys.pem"), sb.toString(), "rw-------");
    }

    @Test
    void pemWhenOneKeyPerAlgorithmThenEachSignsAndKidIsTheThumbprint() throws Exception {
        KeyRing ring = resolve(pem(TestKeys.ED25519, TestKeys.P256, TestKeys.RSA2048).toString()).load();
        assertThat(ring.signingAlgorithms()).containsExactlyInAnyOrder(SigningAlgorithm.values());
        for (KeyRing.PublishedKey k : ring.publishedKeys()) {
            assertThat(k.entry().kid()).isEqualTo(KeyEntry.thumbprint(k.publicJwk()));
        }
    }

    @Test
    void pemWhenSeveralKeysOfOneAlgorithmThenTheFirstSignsAndAllArePublished() throws Exception {
        KeyRing oldFirst = resolve(pem(TestKeys.P256, TestKeys.P256_SECOND).toString()).load();
        KeyRing newFirst = resolve(pem(TestKeys.P256_SECOND, TestKeys.P256).toString()).load();
        KeyRing newOnly = resolve(pem(TestKeys.P256_SECOND).toString()).load();
        String oldKid = oldFirst.requireSigner(SigningAlgorithm.ES256).kid();
        String newKid = newFirst.requireSigner(SigningAlgorithm.ES256).kid();
        // Three-step rotation: add the new key last, move it first, remove the old one.
        assertThat(oldKid).isNotEqualTo(newKid);
        assertThat(oldFirst.publishedKeys()).extracting(k -> k.entry().kid()).containsExactly(oldKid, newKid);
        assertThat(newFirst.publishedKeys()).extracting(k -> k.entry().kid()).containsExactly(newKid, oldKid);
        assertThat(newOnly.publishedKeys()).extracting(k -> k.entry().kid()).containsExactly(newKid);
    }

    @Test
    void pemWhenSec1EcKeyThenItIsReadToo() throws Exception {
        assertThat(resolve(pem(TestKeys.P256_SEC1).toString()).load().signingAlgorithms()).containsExactly(SigningAlgorithm.ES256);
    }

    @Test
    void pemWhenRsaBelow2048BitsThenRefusedNamingTheSize() throws Exception {
        Path f = pem(TestKeys.RSA1024_WEAK);
        assertThatThrownBy(() -> resolve(f.toString()).load())
                .isInstanceOf(CiJwtException.class)
                .hasMessageContaining("RSA key of 1024 bits is refused")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_TOO_WEAK);
    }

    @Test
    void pemWhenCurveIsNotP256ThenRefused() throws Exception {
        Path f = pem(TestKeys.P384_UNSUPPORTED);
        assertThatThrownBy(() -> resolve(f.toString()).load()).hasMessageContaining("curve other than P-256");
    }

    @Test
    void pemWhenFileIsReadableByOthersThenRefusedWithTheChmodThatFixesIt() throws Exception {
        Path f = pem(TestKeys.P256);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> resolve(f.toString()).load())
                .hasMessageContaining(f.toString())
                .hasMessageContaining("chmod 600 " + f)
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_FILE_PERMISSIONS);
    }

    @Test
    void pemWhenGarbageThenErrorNamesTheFileAndLeaksNoContent() throws Exception {
        Path f = TestKeys.write(dir.resolve("bad.pem"), "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXN0dWZm\n-----END PRIVATE KEY-----\n", "rw-------");
        assertThatThrownBy(() -> resolve(f.toString()).load())
                .hasMessageContaining("bad.pem")
                .hasMessageNotContaining("c2VjcmV0");
    }

    @Test
    void envWhenBase64PemThenItIsUsed() throws Exception {
        String b64 = Base64.getEncoder().encodeToString(TestKeys.text(TestKeys.ED25519).getBytes(StandardCharsets.US_ASCII));
        KeySource s = KeySources.resolve(null, KeySources.Options.defaults().withEnv(Map.of(KeySources.ENV_KEY, b64)));
        assertThat(s.load().signingAlgorithms()).containsExactly(SigningAlgorithm.EdDSA);
        assertThat(s.describe()).isEqualTo("PEM in $CI_JWT_SIGNING_KEY");
    }

    @Test
    void envWhenKeyFileVariableThenThatFileIsUsed() throws Exception {
        Path f = pem(TestKeys.RSA2048);
        KeySource s = KeySources.resolve(null, KeySources.Options.defaults().withEnv(Map.of(KeySources.ENV_KEY_FILE, f.toString())));
        assertThat(s.load().signingAlgorithms()).containsExactly(SigningAlgorithm.RS256);
    }

    @Test
    void jwksWhenKeyIdGivenThenThatKeySignsAndAllArePublished() throws Exception {
        Path f = TestKeys.copyPrivate(TestKeys.SIGNING_JWKS, dir);
        KeyRing ring = KeySources.resolve(f.toString(), KeySources.Options.defaults().withKeyId("test-eddsa").withEnv(Map.of())).load();
        assertThat(ring.requireSigner(SigningAlgorithm.EdDSA).kid()).isEqualTo("test-eddsa");
        assertThat(ring.signingAlgorithms()).containsExactly(SigningAlgorithm.EdDSA);
        assertThat(ring.publishedKeys()).extracting(k -> k.entry().kid()).containsExactlyInAnyOrder("test-es256", "test-eddsa", "test-rs256");
    }

    @Test
    void jwksWhenSeveralPrivateKeysAndNoKeyIdThenAskedToNameOne() throws Exception {
        Path f = TestKeys.copyPrivate(TestKeys.SIGNING_JWKS, dir);
        assertThatThrownBy(() -> resolve(f.toString()).load()).hasMessageContaining("name the one that signs with --key-id");
    }

    @Test
    void jwksWhenKeyIdUnknownThenErrorListsTheKnownIds() throws Exception {
        Path f = TestKeys.copyPrivate(TestKeys.SIGNING_JWKS, dir);
        assertThatThrownBy(() -> KeySources.resolve(f.toString(), KeySources.Options.defaults().withKeyId("nope").withEnv(Map.of())).load())
                .hasMessageContaining("no key with id 'nope'").hasMessageContaining("test-es256");
    }

    @Test
    void verificationKeysWhenPinnedThenPublishedButNeverSign() throws Exception {
        Path signer = pem(TestKeys.P256);
        Path pinned = TestKeys.copyPublic(TestKeys.ED25519_PINNED_PUBLIC, dir);
        KeyRing ring = KeySources.resolve(signer.toString(), KeySources.Options.defaults().withEnv(Map.of())
                .withVerificationKeys(List.of(pinned))).load();
        assertThat(ring.signingAlgorithms()).containsExactly(SigningAlgorithm.ES256);
        assertThat(ring.publishedKeys()).hasSize(2);
        assertThat(ring.publishedKeys()).anyMatch(k -> k.entry().algorithm() == SigningAlgorithm.EdDSA);
    }

    @Test
    void verificationKeysWhenFileHoldsPrivateKeysThenOnlyPublicHalvesAreKept() throws Exception {
        Path f = TestKeys.copyPrivate(TestKeys.SIGNING_JWKS, dir);
        KeyRing ring = new VerificationKeySource(f).load();
        assertThat(ring.signingAlgorithms()).isEmpty();
        assertThat(ring.publishedKeys()).allMatch(k -> !k.publicJwk().isPrivate());
    }

    @Test
    void ephemeralWhenLoadedTwiceThenTheSameKeys() throws Exception {
        KeySource s = new EphemeralKeySource(Set.of(SigningAlgorithm.EdDSA));
        assertThat(s.load().requireSigner(SigningAlgorithm.EdDSA).kid()).isEqualTo(s.load().requireSigner(SigningAlgorithm.EdDSA).kid());
    }

    @Test
    void jwksOfAnyRingThenNoPrivateMemberEverAppears() throws Exception {
        KeyRing ring = resolve(pem(TestKeys.ED25519, TestKeys.P256, TestKeys.RSA2048).toString()).load();
        String jwks = ring.publicJwksJson();
        for (String member : List.of("\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\"")) {
            assertThat(jwks).doesNotContain(member);
        }
        assertThat(jwks).contains("\"use\":\"sig\"").contains("\"alg\":\"EdDSA\"").contains("\"alg\":\"ES256\"").contains("\"alg\":\"RS256\"");
    }

    @Test
    void keyEntryToStringThenNoKeyMaterial() throws Exception {
        KeyRing ring = resolve(pem(TestKeys.P256).toString()).load();
        SigningKey k = ring.requireSigner(SigningAlgorithm.ES256);
        String d = ((com.nimbusds.jose.jwk.ECKey) k.entry().jwk()).getD().toString();
        assertThat(k.toString() + k.entry() + ring).doesNotContain(d);
    }

    @Test
    void resolveWhenSpecNamesAMissingPemFileThenErrorSaysSo() {
        assertThatThrownBy(() -> resolve(dir.resolve("missing.pem").toString())).hasMessageContaining("file does not exist");
    }

    @Test
    void keyCodecWhenPemWrittenAndReadBackThenSameKid() throws Exception {
        for (SigningAlgorithm alg : SigningAlgorithm.values()) {
            KeyEntry e = KeyEntry.of(KeyCodec.generate(alg), null, "gen");
            String pem = KeyCodec.privatePem(e) + KeyCodec.publicPem(e);
            List<com.nimbusds.jose.jwk.JWK> back = KeyCodec.parsePem(pem, "roundtrip");
            assertThat(KeyEntry.thumbprint(back.get(0))).isEqualTo(e.kid());
            assertThat(KeyEntry.thumbprint(back.get(1))).isEqualTo(e.kid());
            assertThat(back.get(0).isPrivate()).isTrue();
            assertThat(back.get(1).isPrivate()).isFalse();
        }
    }
}
