package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import java.security.InvalidKeyException;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.jose.provider.RawSigner;

/** RS256 JWS signer on the process's {@link CryptoProvider}; keys under {@value SigningAlgorithm#MIN_RSA_BITS} bits are refused. */
public final class RsaJwsSigner extends ProviderJwsSigner {
    public RsaJwsSigner(RSAKey key) throws JOSEException {
        this(key, CryptoProvider.active());
    }

    public RsaJwsSigner(RSAKey key, CryptoProvider provider) throws JOSEException {
        super(JWSAlgorithm.RS256, raw(key, provider), provider.name());
    }

    private static RawSigner raw(RSAKey key, CryptoProvider provider) throws JOSEException {
        if (!key.isPrivate()) {
            throw new JOSEException("RsaJwsSigner needs a private key");
        }
        if (key.size() < SigningAlgorithm.MIN_RSA_BITS) {
            throw new JOSEException("RsaJwsSigner needs at least " + SigningAlgorithm.MIN_RSA_BITS + " bits, not " + key.size());
        }
        try {
            return provider.rsaSha256Signer(key.toRSAPrivateKey());
        } catch (InvalidKeyException e) {
            throw new JOSEException(e.getMessage(), e);
        }
    }
}
