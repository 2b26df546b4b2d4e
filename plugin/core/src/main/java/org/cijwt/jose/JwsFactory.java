package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import org.cijwt.errors.CiJwtException;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.jose.provider.CryptoProviders;

/**
 * Makes the signer and verifier for a key of an allow-listed algorithm, on the process's
 * {@link CryptoProvider} (AWS-LC where it loads, Bouncy Castle otherwise) unless one is named.
 * Each is made once per key and is thread-safe, so nothing is looked up per token.
 */
public final class JwsFactory {
    private JwsFactory() {
    }

    /**
     * A signer on the process's provider.
     *
     * @throws CiJwtException when the provider setting ({@code CI_JWT_CRYPTO}) is invalid
     */
    public static JWSSigner signer(SigningAlgorithm alg, JWK privateKey) throws JOSEException, CiJwtException {
        return signer(alg, privateKey, CryptoProviders.require());
    }

    /**
     * A verifier on the process's provider.
     *
     * @throws CiJwtException when the provider setting ({@code CI_JWT_CRYPTO}) is invalid
     */
    public static JWSVerifier verifier(SigningAlgorithm alg, JWK publicKey) throws JOSEException, CiJwtException {
        return verifier(alg, publicKey, CryptoProviders.require());
    }

    public static JWSSigner signer(SigningAlgorithm alg, JWK privateKey, CryptoProvider provider) throws JOSEException {
        return switch (alg) {
            case EdDSA -> new Ed25519JwsSigner((OctetKeyPair) privateKey, provider);
            case ES256 -> new P256JwsSigner((ECKey) privateKey, provider);
            case RS256 -> new RsaJwsSigner((RSAKey) privateKey, provider);
        };
    }

    public static JWSVerifier verifier(SigningAlgorithm alg, JWK publicKey, CryptoProvider provider) throws JOSEException {
        return switch (alg) {
            case EdDSA -> new Ed25519JwsVerifier((OctetKeyPair) publicKey, provider);
            case ES256 -> new P256JwsVerifier((ECKey) publicKey, provider);
            case RS256 -> new RsaJwsVerifier((RSAKey) publicKey, provider);
        };
    }
}
