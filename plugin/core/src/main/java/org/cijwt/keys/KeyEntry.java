package org.cijwt.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import java.time.Instant;
import java.util.Objects;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;

/**
 * One key as a source loaded it: its algorithm, its key id and its JWK (private when the source
 * holds the private half). {@link #toString()} never prints key material.
 *
 * @param notBefore when the key may start signing (rotation), or null for "now"
 * @param retiresAt when the key leaves the published set (rotation), or null for "never"
 */
public record KeyEntry(SigningAlgorithm algorithm, String kid, JWK jwk, Instant notBefore, Instant retiresAt) {

    public KeyEntry {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(kid, "kid");
        Objects.requireNonNull(jwk, "jwk");
    }

    /**
     * Validates a JWK (an allow-listed type whose numbers make a valid key) and gives it its key
     * id: the explicit one if there is one, otherwise the RFC 7638 SHA-256 thumbprint.
     */
    public static KeyEntry of(JWK jwk, String explicitKid, String origin) throws CiJwtException {
        SigningAlgorithm alg = SigningAlgorithm.forKey(jwk, origin);
        KeyMaterial.validate(jwk, alg, origin);
        String kid = explicitKid != null && !explicitKid.isBlank() ? explicitKid
                : jwk.getKeyID() != null && !jwk.getKeyID().isBlank() ? jwk.getKeyID() : thumbprint(jwk);
        return new KeyEntry(alg, kid, jwk, null, null);
    }

    public static String thumbprint(JWK jwk) {
        try {
            return jwk.computeThumbprint("SHA-256").toString();
        } catch (JOSEException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    public boolean isPrivate() {
        return jwk.isPrivate();
    }

    public KeyEntry withSchedule(Instant notBefore, Instant retiresAt) {
        return new KeyEntry(algorithm, kid, jwk, notBefore, retiresAt);
    }

    /** The key as published: public members plus {@code kid}, {@code alg} and {@code use: sig}, nothing else. */
    public JWK published() {
        JWK pub = jwk.toPublicJWK();
        if (pub instanceof OctetKeyPair okp) {
            return new OctetKeyPair.Builder(okp.getCurve(), okp.getX())
                    .keyID(kid).algorithm(algorithm.jws()).keyUse(KeyUse.SIGNATURE).build();
        }
        if (pub instanceof ECKey ec) {
            return new ECKey.Builder(ec.getCurve(), ec.getX(), ec.getY())
                    .keyID(kid).algorithm(algorithm.jws()).keyUse(KeyUse.SIGNATURE).build();
        }
        if (pub instanceof RSAKey rsa) {
            return new RSAKey.Builder(rsa.getModulus(), rsa.getPublicExponent())
                    .keyID(kid).algorithm(algorithm.jws()).keyUse(KeyUse.SIGNATURE).build();
        }
        throw new IllegalStateException("unsupported key type " + pub.getKeyType());
    }

    /** Guard for sources that must hold a private key: {@code code} says why a public one there is wrong. */
    KeyEntry requirePrivate(String origin, ErrorCode code) throws CiJwtException {
        if (!isPrivate()) {
            throw new CiJwtException(code, origin + ": key '" + kid + "' is a public key and cannot sign");
        }
        return this;
    }

    @Override
    public String toString() {
        return "KeyEntry[" + algorithm + " kid=" + kid + (isPrivate() ? " private" : " public") + "]";
    }
}
