package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;

/**
 * Makes the signer and verifier for a key of an allow-listed algorithm. Ed25519 and P-256 run on
 * Bouncy Castle's lightweight API, many times faster than the JDK 17 providers; RSA stays on the
 * JDK through Nimbus.
 */
public final class JwsFactory {
    private JwsFactory() {
    }

    public static JWSSigner signer(SigningAlgorithm alg, JWK privateKey) throws JOSEException {
        return switch (alg) {
            case EdDSA -> new Ed25519JwsSigner((OctetKeyPair) privateKey);
            case ES256 -> new P256JwsSigner((ECKey) privateKey);
            case RS256 -> new RSASSASigner((RSAKey) privateKey);
        };
    }

    public static JWSVerifier verifier(SigningAlgorithm alg, JWK publicKey) throws JOSEException {
        return switch (alg) {
            case EdDSA -> new Ed25519JwsVerifier((OctetKeyPair) publicKey);
            case ES256 -> new P256JwsVerifier((ECKey) publicKey);
            case RS256 -> new RSASSAVerifier((RSAKey) publicKey);
        };
    }
}
