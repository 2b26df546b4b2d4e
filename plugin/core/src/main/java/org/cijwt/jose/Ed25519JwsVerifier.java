package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import java.security.InvalidKeyException;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.jose.provider.RawVerifier;

/** EdDSA (Ed25519) JWS verifier on the process's {@link CryptoProvider}; the pair of {@link Ed25519JwsSigner}. */
public final class Ed25519JwsVerifier extends ProviderJwsVerifier {
    public Ed25519JwsVerifier(OctetKeyPair key) throws JOSEException {
        this(key, CryptoProvider.active());
    }

    public Ed25519JwsVerifier(OctetKeyPair key, CryptoProvider provider) throws JOSEException {
        super(JWSAlgorithm.EdDSA, raw(key, provider), provider.name());
    }

    private static RawVerifier raw(OctetKeyPair key, CryptoProvider provider) throws JOSEException {
        if (!Curve.Ed25519.equals(key.getCurve())) {
            throw new JOSEException("Ed25519JwsVerifier needs an Ed25519 key, not " + key.getCurve());
        }
        try {
            return provider.ed25519Verifier(key.getDecodedX());
        } catch (InvalidKeyException e) {
            throw new JOSEException(e.getMessage(), e);
        }
    }
}
