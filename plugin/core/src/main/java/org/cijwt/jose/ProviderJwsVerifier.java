package org.cijwt.jose;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.util.Base64;
import java.util.Set;
import org.cijwt.jose.provider.RawVerifier;

/** A Nimbus {@link JWSVerifier} for one algorithm over one key of a {@link org.cijwt.jose.provider.CryptoProvider}. */
abstract class ProviderJwsVerifier implements JWSVerifier {
    private static final Base64.Decoder URL_DECODER = Base64.getUrlDecoder();

    private final JWSAlgorithm algorithm;
    private final Set<JWSAlgorithm> algorithms;
    private final RawVerifier raw;
    private final String providerName;
    private final JCAContext jcaContext = new JCAContext();

    ProviderJwsVerifier(JWSAlgorithm algorithm, RawVerifier raw, String providerName) {
        this.algorithm = algorithm;
        this.algorithms = Set.of(algorithm);
        this.raw = raw;
        this.providerName = providerName;
    }

    @Override
    public final boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) {
        // We understand no critical header parameter, so RFC 7515 section 4.1.11 says reject.
        if (!algorithm.equals(header.getAlgorithm()) || header.getCriticalParams() != null || signature == null) {
            return false;
        }
        byte[] sig;
        try {
            // The JDK's decoder, not Nimbus's: several times faster, and it refuses characters outside
            // the base64url alphabet where Nimbus's skips them.
            sig = URL_DECODER.decode(signature.toString());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return raw.verify(signingInput, sig);
    }

    /** The id of the provider this verifier runs on. */
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
