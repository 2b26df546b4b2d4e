package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import java.security.InvalidKeyException;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.jose.provider.RawSigner;

/**
 * ES256 JWS signer on the process's {@link CryptoProvider}: the signature is written in the JWS
 * {@code r || s} form directly (no DER round trip) and is always low-S ({@code s <= n/2}).
 */
public final class P256JwsSigner extends ProviderJwsSigner {
    public P256JwsSigner(ECKey key) throws JOSEException {
        this(key, CryptoProvider.active());
    }

    public P256JwsSigner(ECKey key, CryptoProvider provider) throws JOSEException {
        super(JWSAlgorithm.ES256, raw(key, provider), provider.name());
    }

    private static RawSigner raw(ECKey key, CryptoProvider provider) throws JOSEException {
        if (!Curve.P_256.equals(key.getCurve()) || key.getD() == null) {
            throw new JOSEException("P256JwsSigner needs a private P-256 key");
        }
        try {
            return provider.p256Signer(key.getD().decodeToBigInteger());
        } catch (InvalidKeyException e) {
            throw new JOSEException(e.getMessage(), e);
        }
    }
}
