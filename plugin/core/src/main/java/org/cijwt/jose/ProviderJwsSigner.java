package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.security.SignatureException;
import java.util.Set;
import org.cijwt.jose.provider.RawSigner;

/** A Nimbus {@link JWSSigner} for one algorithm over one key of a {@link org.cijwt.jose.provider.CryptoProvider}. */
abstract class ProviderJwsSigner implements JWSSigner {
    private final JWSAlgorithm algorithm;
    private final Set<JWSAlgorithm> algorithms;
    private final RawSigner raw;
    private final String providerName;
    private final JCAContext jcaContext = new JCAContext();

    ProviderJwsSigner(JWSAlgorithm algorithm, RawSigner raw, String providerName) {
        this.algorithm = algorithm;
        this.algorithms = Set.of(algorithm);
        this.raw = raw;
        this.providerName = providerName;
    }

    @Override
    public final Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
        if (!algorithm.equals(header.getAlgorithm())) {
            throw new JOSEException(getClass().getSimpleName() + " signs " + algorithm + " only, not " + header.getAlgorithm());
        }
        return Base64URL.encode(signBytes(signingInput));
    }

    /** The raw JWS signature over {@code signingInput}, without the base64 round trip of {@link #sign}. */
    final byte[] signBytes(byte[] signingInput) throws JOSEException {
        try {
            return raw.sign(signingInput);
        } catch (SignatureException | RuntimeException e) {
            throw new JOSEException(algorithm + " signing on " + providerName + " failed: " + e.getMessage(), e);
        }
    }

    final JWSAlgorithm algorithm() {
        return algorithm;
    }

    /** The id of the provider this signer runs on. */
    public final String providerName() {
        return providerName;
    }

    @Override
    public final Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return algorithms;
    }

    @Override
    public final JCAContext getJCAContext() {
        return jcaContext;
    }
}
