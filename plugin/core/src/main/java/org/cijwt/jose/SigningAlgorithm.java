package org.cijwt.jose;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * The allow-list: the only algorithms ci-jwt signs or accepts. There is no {@code none} and no
 * HMAC, so a public key can never be used as a shared secret.
 */
public enum SigningAlgorithm {
    EdDSA(JWSAlgorithm.EdDSA),
    ES256(JWSAlgorithm.ES256),
    RS256(JWSAlgorithm.RS256);

    /** RSA below this size is refused: NIST has disallowed it for signing since 2013. */
    public static final int MIN_RSA_BITS = 2048;

    private final JWSAlgorithm jws;

    SigningAlgorithm(JWSAlgorithm jws) {
        this.jws = jws;
    }

    public JWSAlgorithm jws() {
        return jws;
    }

    public String jwaName() {
        return jws.getName();
    }

    public static SigningAlgorithm parse(String text) throws CiJwtException {
        for (SigningAlgorithm a : values()) {
            if (a.name().equalsIgnoreCase(text)) {
                return a;
            }
        }
        if (text != null && text.toLowerCase(Locale.ROOT).equals("ed25519")) {
            return EdDSA;
        }
        throw new CiJwtException(ErrorCode.ALGORITHM_NOT_ALLOWED, "algorithm '" + text + "' is not allowed (allowed: "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")) + ")");
    }

    /** The allow-listed algorithm a JWS header names, if any. */
    public static Optional<SigningAlgorithm> ofHeader(JWSAlgorithm alg) {
        for (SigningAlgorithm a : values()) {
            if (a.jws.equals(alg)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** The algorithm a key can sign with; fails for key types and curves outside the allow-list. */
    public static SigningAlgorithm forKey(JWK jwk, String origin) throws CiJwtException {
        SigningAlgorithm alg;
        if (jwk instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
            alg = EdDSA;
        } else if (jwk instanceof ECKey ec && Curve.P_256.equals(ec.getCurve())) {
            alg = ES256;
        } else if (jwk instanceof RSAKey rsa) {
            if (rsa.size() < MIN_RSA_BITS) {
                throw new CiJwtException(ErrorCode.KEY_TOO_WEAK,
                        origin + ": RSA key of " + rsa.size() + " bits is refused, at least " + MIN_RSA_BITS + " are required");
            }
            alg = RS256;
        } else {
            String curve = jwk instanceof ECKey ec ? " " + ec.getCurve()
                    : jwk instanceof OctetKeyPair okp ? " " + okp.getCurve() : "";
            throw new CiJwtException(ErrorCode.ALGORITHM_NOT_ALLOWED, origin + ": key type " + jwk.getKeyType() + curve
                    + " is not supported (use Ed25519, P-256 or RSA >= 2048)");
        }
        if (jwk.getAlgorithm() != null && !jwk.getAlgorithm().getName().equals(alg.jwaName())) {
            // An alg off the allow-list (HS256, ES384) is refused as such; an allowed one on the wrong key is a broken JWK.
            boolean allowed = Arrays.stream(values()).anyMatch(a -> a.jwaName().equals(jwk.getAlgorithm().getName()));
            throw new CiJwtException(allowed ? ErrorCode.KEY_MALFORMED : ErrorCode.ALGORITHM_NOT_ALLOWED, origin + ": key '"
                    + jwk.getKeyID() + "' says alg " + jwk.getAlgorithm() + " but is a " + alg.jwaName() + " key");
        }
        return alg;
    }

    public KeyType keyType() {
        return switch (this) {
            case EdDSA -> KeyType.OKP;
            case ES256 -> KeyType.EC;
            case RS256 -> KeyType.RSA;
        };
    }
}
