package org.cijwt.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
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
        assertThatThrownBy(() -> resolve(f.toString()).load()).hasMessageContaining("curve other than P-256")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.ALGORITHM_NOT_ALLOWED);
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
                .hasMessageNotContaining("c2VjcmV0")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_MALFORMED);
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
        assertThatThrownBy(() -> resolve(f.toString()).load()).hasMessageContaining("name the one that signs with setting key_id")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_SOURCE_INVALID);
    }

    @Test
    void jwksWhenKeyIdUnknownThenErrorListsTheKnownIds() throws Exception {
        Path f = TestKeys.copyPrivate(TestKeys.SIGNING_JWKS, dir);
        assertThatThrownBy(() -> KeySources.resolve(f.toString(), KeySources.Options.defaults().withKeyId("nope").withEnv(Map.of())).load())
                .hasMessageContaining("no key with id 'nope'").hasMessageContaining("test-es256")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_NOT_FOUND);
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
        String d = ((ECKey) k.entry().jwk()).getD().toString();
        assertThat(k.toString() + k.entry() + ring).doesNotContain(d);
    }

    @Test
    void resolveWhenSpecNamesAMissingPemFileThenErrorSaysSo() {
        assertThatThrownBy(() -> resolve(dir.resolve("missing.pem").toString())).hasMessageContaining("file does not exist")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_SOURCE_INVALID);
    }

    @Test
    void pemWhenEd25519IsPkcs8Version2WithItsPublicKeyThenItIsReadToo() throws Exception {
        // What ci-jwt keygen wrote before: Bouncy Castle's default, RFC 5958 version 2 with the public key.
        KeyEntry fixture = PemKeySource.entries(TestKeys.text(TestKeys.ED25519), null, "fixture", true).get(0);
        byte[] d = ((OctetKeyPair) fixture.jwk()).getDecodedD();
        byte[] v2 = PrivateKeyInfoFactory.createPrivateKeyInfo(
                new Ed25519PrivateKeyParameters(d, 0)).getEncoded();
        assertThat(PrivateKeyInfo.getInstance(v2).getPublicKeyData()).isNotNull();
        List<JWK> back = KeyCodec.parsePem(MalformedKeys.pem("PRIVATE KEY", v2), "v2");
        assertThat(KeyEntry.thumbprint(back.get(0))).isEqualTo(fixture.kid());
        assertThat(back.get(0).isPrivate()).isTrue();
    }

    @Test
    void keyCodecWhenEd25519PrivatePemWrittenThenItIsRfc8410Version1() throws Exception {
        KeyEntry e = KeyEntry.of(KeyCodec.generate(SigningAlgorithm.EdDSA), null, "gen");
        PrivateKeyInfo info =
                PrivateKeyInfo.getInstance(MalformedKeys.der(KeyCodec.privatePem(e)));
        assertThat(info.getVersion().intValueExact()).isZero();
        assertThat(info.getPublicKeyData()).isNull();
    }

    @Test
    void keyCodecWhenPemWrittenAndReadBackThenSameKid() throws Exception {
        for (SigningAlgorithm alg : SigningAlgorithm.values()) {
            KeyEntry e = KeyEntry.of(KeyCodec.generate(alg), null, "gen");
            String pem = KeyCodec.privatePem(e) + KeyCodec.publicPem(e);
            List<JWK> back = KeyCodec.parsePem(pem, "roundtrip");
            assertThat(KeyEntry.thumbprint(back.get(0))).isEqualTo(e.kid());
            assertThat(KeyEntry.thumbprint(back.get(1))).isEqualTo(e.kid());
            assertThat(back.get(0).isPrivate()).isTrue();
            assertThat(back.get(1).isPrivate()).isFalse();
        }
    }

    private static ErrorCode code(ThrowingCallable call) {
        Throwable t = catchThrowable(call);
        assertThat(t).as("a CiJwtException, never an unchecked one").isInstanceOf(CiJwtException.class);
        return ((CiJwtException) t).code();
    }

    @Test
    void verificationKeysWhenEd25519KeyIsASmallOrderPointThenKeyMalformedNamingTheFile() throws Exception {
        for (String point : MalformedKeys.SMALL_ORDER_ED25519) {
            Path f = TestKeys.write(dir.resolve("small-order.jwks"), MalformedKeys.ed25519Jwks("evil", point), "rw-r--r--");
            KeySource s = KeySources.resolve(pem(TestKeys.P256).toString(), KeySources.Options.defaults().withEnv(Map.of())
                    .withVerificationKeys(List.of(f)));
            assertThatThrownBy(s::load).as(point)
                    .isInstanceOf(CiJwtException.class)
                    .hasMessageContaining("small-order.jwks").hasMessageContaining("'evil'").hasMessageContaining("small-order")
                    .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_MALFORMED);
        }
    }

    @Test
    void pemWhenEcKeyIsCutDownToItsScalarThenKeyMalformedNamingTheFile() {
        Path f = TestKeys.write(dir.resolve("cut.pem"), MalformedKeys.ecPemWithoutCurve(), "rw-------");
        assertThatThrownBy(() -> resolve(f.toString()).load())
                .isInstanceOf(CiJwtException.class)
                .hasMessageContaining("cut.pem").hasMessageContaining("PEM block 1")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_MALFORMED);
    }

    @Test
    void pemWhenAnyByteOfAFixtureKeyIsCorruptOrCutThenOnlyKeyErrorsNamingTheOrigin() {
        // Every byte of the EC and Ed25519 keys, where Bouncy Castle's unchecked exceptions were; a sample of RSA's.
        Map<String, Integer> positions = Map.of(TestKeys.ED25519, 200, TestKeys.P256, 200, TestKeys.P256_SEC1, 200,
                TestKeys.ED25519_PUBLIC, 200, TestKeys.P256_PUBLIC, 200, TestKeys.RSA2048_PUBLIC, 40, TestKeys.RSA2048, 40);
        for (Map.Entry<String, Integer> fixture : positions.entrySet()) {
            String origin = "corrupt " + fixture.getKey();
            int refused = 0;
            for (String pem : MalformedKeys.corruptionsOf(fixture.getKey(), fixture.getValue())) {
                try {
                    for (JWK jwk : KeyCodec.parsePem(pem, origin)) {
                        KeyEntry.of(jwk, null, origin);
                    }
                } catch (CiJwtException e) {
                    refused++;
                    assertThat(e.code().id()).as(e.getMessage()).startsWith("CJ2");
                    assertThat(e.getMessage()).startsWith(origin);
                }
                // Anything else (NullPointerException, IllegalArgumentException...) fails the test by escaping.
            }
            assertThat(refused).as(origin).isPositive();
        }
    }

    @Test
    void jwksWhenKeyMembersAreBrokenThenKeyMalformed() throws Exception {
        JWKSet set = JWKSet.parse(TestKeys.text(TestKeys.SIGNING_JWKS));
        ECKey ec = (ECKey) set.getKeyByKeyId("test-es256");
        OctetKeyPair ed = (OctetKeyPair) set.getKeyByKeyId("test-eddsa");
        OctetKeyPair otherEd = (OctetKeyPair) KeyCodec.generate(SigningAlgorithm.EdDSA);
        List<String> broken = List.of(
                // Ed25519 x of 31 bytes
                "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + Base64URL.encode(new byte[31]) + "\"}]}",
                // Ed25519 private d that belongs to another public key
                "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + ed.getX() + "\",\"d\":\"" + otherEd.getD() + "\"}]}",
                // P-256 x shortened to 31 bytes (RFC 7518 wants the full field size)
                "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + Base64URL.encode(Arrays.copyOf(ec.getX().decode(), 31))
                        + "\",\"y\":\"" + ec.getY() + "\"}]}",
                // a key that says it is for another allow-listed algorithm
                "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"RS256\",\"x\":\"" + ec.getX() + "\",\"y\":\"" + ec.getY() + "\"}]}",
                "{\"keys\": [ broken");
        for (String jwks : broken) {
            assertThat(code(() -> VerificationKeySource.fromJwks(jwks, "pinned.json"))).as(jwks).isEqualTo(ErrorCode.KEY_MALFORMED);
        }
    }

    @Test
    void jwksWhenKeyTypeOrAlgIsOffTheAllowListThenAlgorithmNotAllowed() {
        String hmac = "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"}]}";
        String hs256OnEd25519 = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"HS256\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";
        assertThat(code(() -> VerificationKeySource.fromJwks(hmac, "pinned.json"))).isEqualTo(ErrorCode.ALGORITHM_NOT_ALLOWED);
        assertThat(code(() -> VerificationKeySource.fromJwks(hs256OnEd25519, "pinned.json"))).isEqualTo(ErrorCode.ALGORITHM_NOT_ALLOWED);
        assertThat(code(() -> SigningAlgorithm.parse("HS256"))).isEqualTo(ErrorCode.ALGORITHM_NOT_ALLOWED);
    }

    @Test
    void jwksWhenKeyIdNamesAPublicKeyThenKeyNotFound() throws Exception {
        Path f = TestKeys.copyPublic(TestKeys.VERIFICATION_JWKS, dir);
        assertThat(code(() -> KeySources.resolve(f.toString(), KeySources.Options.defaults().withKeyId("test-eddsa")
                .withEnv(Map.of())).load())).isEqualTo(ErrorCode.KEY_NOT_FOUND);
    }

    @Test
    void pemWhenKeyIdGivenThenOptionsConflict() throws Exception {
        Path f = pem(TestKeys.P256);
        assertThat(code(() -> KeySources.resolve(f.toString(), KeySources.Options.defaults().withKeyId("k1").withEnv(Map.of()))))
                .isEqualTo(ErrorCode.OPTIONS_CONFLICT);
    }

    @Test
    void verificationKeysWhenFileIsMissingAtStartThenRefusedAsATypo() throws Exception {
        Path signer = pem(TestKeys.P256);
        Path missing = dir.resolve("pinned.pem");
        assertThatThrownBy(() -> KeySources.resolve(signer.toString(), KeySources.Options.defaults().withEnv(Map.of())
                .withVerificationKeys(List.of(missing))))
                .hasMessageContaining("setting verification_keys: " + missing + ": file does not exist")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.KEY_SOURCE_INVALID);
    }

    @Test
    void verificationKeysWhenFileIsGoneOrEmptyThenItLoadsAsNoKeys() throws Exception {
        Path f = TestKeys.copyPublic(TestKeys.ED25519_PINNED_PUBLIC, dir);
        VerificationKeySource s = new VerificationKeySource(f);
        assertThat(s.load().publishedKeys()).hasSize(1);
        Files.writeString(f, " \n");
        assertThat(s.load().isEmpty()).isTrue();
        Files.delete(f);
        assertThat(s.load().isEmpty()).isTrue();
    }

    @Test
    void verificationKeysWhenJwksHasAnEmptyKeyListThenNoKeysButASigningJwksWithNoneIsRefused() throws Exception {
        Path f = TestKeys.write(dir.resolve("none.jwks"), "{\"keys\":[]}", "rw-------");
        assertThat(new VerificationKeySource(f).load().isEmpty()).isTrue();
        assertThat(code(() -> new JwksKeySource(f, null).load())).isEqualTo(ErrorCode.KEY_SOURCE_INVALID);
    }
}
