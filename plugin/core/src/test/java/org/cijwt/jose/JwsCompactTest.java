package org.cijwt.jose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.cijwt.jose.provider.TestProviders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The compact serialiser gives the token Nimbus's SignedJWT would: same header, same claims, a signature that verifies. */
class JwsCompactTest {
    private static JWTClaimsSet claims() {
        return new JWTClaimsSet.Builder().issuer("https://ci.example.com").subject("main/deploy").audience("vault")
                .expirationTime(new Date(1_795_320_179_000L)).issueTime(new Date(1_795_316_579_000L)).jwtID("DRbxXYUub-oODxZTwfXMiA")
                .claim("team", "m\u00e4in <&> \"quoted\"").claim("instance_vars", Map.of("branch", "dev"))
                .claim("aud_list", List.of("a", "b")).build();
    }

    private static JWSHeader header(SigningAlgorithm alg) throws Exception {
        // Parsed from its own base64url, as each signing key's header is.
        JWSHeader built = new JWSHeader.Builder(alg.jws()).type(JOSEObjectType.JWT).keyID("kid-1").build();
        return JWSHeader.parse(built.toBase64URL());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#namesAndAlgorithms")
    void signWhenClaimsThenNimbusParsesTheSameHeaderAndClaimsAndTheSignatureVerifies(String provider, SigningAlgorithm alg)
            throws Exception {
        var key = TestProviders.privateKey(alg);
        JWSHeader header = header(alg);
        String token = JwsCompact.sign(JwsFactory.signer(alg, key, TestProviders.get(provider)), header, claims());

        assertThat(token).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
        SignedJWT parsed = SignedJWT.parse(token);
        assertThat(token.substring(0, token.indexOf('.'))).isEqualTo(header.toBase64URL().toString());
        assertThat(parsed.getJWTClaimsSet().toJSONObject()).isEqualTo(claims().toJSONObject());
        assertThat(parsed.getJWTClaimsSet().getAudience()).containsExactly("vault");
        assertThat(parsed.verify(JwsFactory.verifier(alg, key.toPublicJWK(), TestProviders.get(provider)))).isTrue();
    }

    @Test
    void signWhenSignerIsNotOneOfOursThenItGoesThroughTheNimbusInterface() throws Exception {
        ECKey key = (ECKey) TestProviders.privateKey(SigningAlgorithm.ES256);
        String token = JwsCompact.sign(new ECDSASigner(key), header(SigningAlgorithm.ES256), claims());
        assertThat(SignedJWT.parse(token).verify(new ECDSAVerifier(key.toPublicJWK()))).isTrue();
    }

    @Test
    void signWhenHeaderNamesAnotherAlgorithmThanTheSignerThenRefused() throws Exception {
        var key = TestProviders.privateKey(SigningAlgorithm.EdDSA);
        assertThatThrownBy(() -> JwsCompact.sign(JwsFactory.signer(SigningAlgorithm.EdDSA, key), header(SigningAlgorithm.ES256),
                claims())).isInstanceOf(JOSEException.class).hasMessageContaining("EdDSA only");
    }

    @Test
    void signWhenHeaderWasBuiltNotParsedThenItIsStillSerialisedCorrectly() throws Exception {
        var key = TestProviders.privateKey(SigningAlgorithm.EdDSA);
        JWSHeader built = new JWSHeader.Builder(JWSAlgorithm.EdDSA).keyID("k").build();
        String token = JwsCompact.sign(JwsFactory.signer(SigningAlgorithm.EdDSA, key), built, claims());
        assertThat(SignedJWT.parse(token).getHeader().getKeyID()).isEqualTo("k");
    }
}
