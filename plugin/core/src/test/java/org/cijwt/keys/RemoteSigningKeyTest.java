package org.cijwt.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.Base64URL;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.JwsFactory;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.tokens.TokenVerifier;
import org.junit.jupiter.api.Test;

/**
 * A signing key that is a public JWK plus a signer elsewhere ({@link SigningKey#remote}), in a ring
 * whose JWKS order is the source's ({@link KeyRing#ofSigners}). The "remote" signer here signs with a
 * test key in process; the real one (Vault Transit) is tested against OpenBao in the example module.
 */
class RemoteSigningKeyTest {
    private static final String ISSUER = "https://ci.example.com";

    /** Signs with a private JWK it holds, or fails the way a remote service does: a cause with a code. */
    private record ElsewhereSigner(JWK privateKey, CiJwtException failure) implements JWSSigner {
        @Override
        public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
            if (failure != null) {
                throw new JOSEException(failure.getMessage(), failure);
            }
            try {
                return JwsFactory.signer(SigningAlgorithm.EdDSA, privateKey).sign(header, signingInput);
            } catch (CiJwtException e) {
                throw new JOSEException(e.getMessage(), e);
            }
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return Set.of(JWSAlgorithm.EdDSA);
        }

        @Override
        public JCAContext getJCAContext() {
            return new JCAContext();
        }
    }

    private static KeyEntry key(String pem) throws CiJwtException {
        return KeyEntry.of(KeyCodec.parsePem(TestKeys.text(pem), pem).get(0), null, pem);
    }

    private static KeyEntry publicHalf(KeyEntry e) throws CiJwtException {
        return KeyEntry.of(e.jwk().toPublicJWK(), null, "public");
    }

    @Test
    void mintWhenRemoteKeySignsThenTokenCarriesItsThumbprintKidAndVerifies() throws Exception {
        KeyEntry priv = key(TestKeys.ED25519);
        SigningKey remote = SigningKey.remote(publicHalf(priv), new ElsewhereSigner(priv.jwk(), null), "remote");
        KeyRing ring = KeyRing.ofSigners(List.of(remote), List.of(publicHalf(priv)), "remote");

        MintedToken token = new TokenMinter(() -> ring, Clock.systemUTC()).mint(
                BuildMetadata.fromJson(TestKeys.metadata("main"), "main"),
                ClaimsPolicy.builder().issuer(ISSUER).audience("aud").algorithm(SigningAlgorithm.EdDSA).build());

        assertThat(token.kid()).isEqualTo(KeyEntry.thumbprint(priv.jwk().toPublicJWK()));
        assertThat(new TokenVerifier(() -> ring, ISSUER, List.of("aud"), TokenVerifier.DEFAULT_LEEWAY, Clock.systemUTC())
                .verify(token.compact()).active()).isTrue();
        assertThat(ring.publicJwksJson()).doesNotContain("\"d\"");
    }

    @Test
    void ofSignersWhenAnotherKeySignsThenTheJwksBytesStayTheSame() throws Exception {
        KeyEntry older = publicHalf(key(TestKeys.ED25519));
        KeyEntry newer = publicHalf(key(TestKeys.ED25519_PINNED_PUBLIC));
        ElsewhereSigner unused = new ElsewhereSigner(null, null);

        KeyRing olderSigns = KeyRing.ofSigners(List.of(SigningKey.remote(older, unused, "r")), List.of(older, newer), "r");
        KeyRing newerSigns = KeyRing.ofSigners(List.of(SigningKey.remote(newer, unused, "r")), List.of(older, newer), "r");

        assertThat(olderSigns.requireSigner(SigningAlgorithm.EdDSA).kid()).isNotEqualTo(newerSigns.requireSigner(SigningAlgorithm.EdDSA).kid());
        assertThat(olderSigns.publicJwksJson()).isEqualTo(newerSigns.publicJwksJson());
    }

    @Test
    void mintWhenRemoteSignerFailsThenItsOwnCodeAndLineReachTheCaller() throws Exception {
        KeyEntry pub = publicHalf(key(TestKeys.ED25519));
        CiJwtException down = new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "Vault at http://127.0.0.1:1: connection refused");
        KeyRing ring = KeyRing.ofSigners(List.of(SigningKey.remote(pub, new ElsewhereSigner(null, down), "r")), List.of(), "r");

        assertThatThrownBy(() -> new TokenMinter(() -> ring, Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"),
                java.time.ZoneOffset.UTC)).mint(BuildMetadata.fromJson(TestKeys.metadata("main"), "main"),
                ClaimsPolicy.builder().issuer(ISSUER).audience("aud").algorithm(SigningAlgorithm.EdDSA).build()))
                .isSameAs(down);
    }

    @Test
    void remoteWhenGivenAPrivateKeyOrAnotherAlgorithmThenRefused() throws Exception {
        KeyEntry priv = key(TestKeys.ED25519);
        KeyEntry p256 = publicHalf(key(TestKeys.P256));
        ElsewhereSigner signer = new ElsewhereSigner(priv.jwk(), null);

        assertThatThrownBy(() -> SigningKey.remote(priv, signer, "r"))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.KEY_SOURCE_INVALID))
                .hasMessageContaining("must be given as a public key");
        assertThatThrownBy(() -> SigningKey.remote(p256, signer, "r"))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.KEY_SOURCE_INVALID))
                .hasMessageContaining("cannot sign ES256");
    }
}
