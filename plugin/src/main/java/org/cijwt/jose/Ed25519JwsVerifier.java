package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.util.Set;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** EdDSA (Ed25519) JWS verifier on Bouncy Castle's lightweight API; the pair of {@link Ed25519JwsSigner}. */
public final class Ed25519JwsVerifier implements JWSVerifier {
    private static final Set<JWSAlgorithm> ALGS = Set.of(JWSAlgorithm.EdDSA);

    private final Ed25519PublicKeyParameters publicKey;
    private final JCAContext jcaContext = new JCAContext();

    public Ed25519JwsVerifier(OctetKeyPair key) throws JOSEException {
        if (!Curve.Ed25519.equals(key.getCurve())) {
            throw new JOSEException("Ed25519JwsVerifier needs an Ed25519 key, not " + key.getCurve());
        }
        byte[] x = key.getDecodedX();
        if (x.length != Ed25519PublicKeyParameters.KEY_SIZE) {
            throw new JOSEException("Ed25519 public key must be 32 bytes");
        }
        this.publicKey = new Ed25519PublicKeyParameters(x, 0);
    }

    @Override
    public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) {
        // We understand no critical header parameter, so RFC 7515 section 4.1.11 says reject.
        if (!JWSAlgorithm.EdDSA.equals(header.getAlgorithm()) || header.getCriticalParams() != null) {
            return false;
        }
        byte[] sig = signature.decode();
        if (sig.length != Ed25519PublicKeyParameters.KEY_SIZE * 2) {
            return false;
        }
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, publicKey);
        verifier.update(signingInput, 0, signingInput.length);
        return verifier.verifySignature(sig);
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return ALGS;
    }

    @Override
    public JCAContext getJCAContext() {
        return jcaContext;
    }
}
