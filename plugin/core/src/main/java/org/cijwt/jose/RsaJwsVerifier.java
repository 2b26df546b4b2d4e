package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import java.security.InvalidKeyException;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.jose.provider.RawVerifier;

/** RS256 JWS verifier on the process's {@link CryptoProvider}; the pair of {@link RsaJwsSigner}. */
public final class RsaJwsVerifier extends ProviderJwsVerifier {
    public RsaJwsVerifier(RSAKey key) throws JOSEException {
        this(key, CryptoProvider.active());
    }

    public RsaJwsVerifier(RSAKey key, CryptoProvider provider) throws JOSEException {
        super(JWSAlgorithm.RS256, raw(key, provider), provider.name());
    }

    private static RawVerifier raw(RSAKey key, CryptoProvider provider) throws JOSEException {
        if (key.size() < SigningAlgorithm.MIN_RSA_BITS) {
            throw new JOSEException("RsaJwsVerifier needs at least " + SigningAlgorithm.MIN_RSA_BITS + " bits, not " + key.size());
        }
        try {
            return provider.rsaSha256Verifier(key.toRSAPublicKey());
        } catch (InvalidKeyException e) {
            throw new JOSEException(e.getMessage(), e);
        }
    }
}
