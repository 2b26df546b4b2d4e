package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import java.security.InvalidKeyException;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.jose.provider.RawVerifier;

/**
 * ES256 JWS verifier on the process's {@link CryptoProvider}; the pair of {@link P256JwsSigner}.
 * It refuses a public point off the curve (invalid-curve attacks), {@code r} or {@code s} outside
 * {@code [1, n-1]}, and high-S signatures, so a token has exactly one valid signature.
 */
public final class P256JwsVerifier extends ProviderJwsVerifier {
    public P256JwsVerifier(ECKey key) throws JOSEException {
        this(key, CryptoProvider.active());
    }

    public P256JwsVerifier(ECKey key, CryptoProvider provider) throws JOSEException {
        super(JWSAlgorithm.ES256, raw(key, provider), provider.name());
    }

    private static RawVerifier raw(ECKey key, CryptoProvider provider) throws JOSEException {
        if (!Curve.P_256.equals(key.getCurve())) {
            throw new JOSEException("P256JwsVerifier needs a P-256 key");
        }
        try {
            return provider.p256Verifier(key.getX().decodeToBigInteger(), key.getY().decodeToBigInteger());
        } catch (InvalidKeyException e) {
            throw new JOSEException(e.getMessage(), e);
        }
    }
}
