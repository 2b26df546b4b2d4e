package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import java.security.InvalidKeyException;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.jose.provider.RawSigner;

/**
 * EdDSA (Ed25519) JWS signer on the process's {@link CryptoProvider}.
 *
 * <p>Nimbus's own Ed25519 classes need Google Tink at run time and fail only when first used if it
 * is missing, so we sign through our provider layer instead (AWS-LC or Bouncy Castle).
 */
public final class Ed25519JwsSigner extends ProviderJwsSigner {
    public Ed25519JwsSigner(OctetKeyPair key) throws JOSEException {
        this(key, CryptoProvider.active());
    }

    public Ed25519JwsSigner(OctetKeyPair key, CryptoProvider provider) throws JOSEException {
        super(JWSAlgorithm.EdDSA, raw(key, provider), provider.name());
    }

    private static RawSigner raw(OctetKeyPair key, CryptoProvider provider) throws JOSEException {
        if (!Curve.Ed25519.equals(key.getCurve())) {
            throw new JOSEException("Ed25519JwsSigner needs an Ed25519 key, not " + key.getCurve());
        }
        if (!key.isPrivate()) {
            throw new JOSEException("Ed25519JwsSigner needs a private key");
        }
        try {
            return provider.ed25519Signer(key.getDecodedD());
        } catch (InvalidKeyException e) {
            throw new JOSEException(e.getMessage(), e);
        }
    }
}
