package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.util.Set;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * EdDSA (Ed25519) JWS signer on Bouncy Castle's lightweight API.
 *
 * <p>Nimbus's own Ed25519 classes need Google Tink at run time and fail only when first used if it
 * is missing; Bouncy Castle is already on our class path for P-256 and is several times faster
 * than the JDK 17 provider, so we sign with it directly.
 */
public final class Ed25519JwsSigner implements JWSSigner {
    private static final Set<JWSAlgorithm> ALGS = Set.of(JWSAlgorithm.EdDSA);

    private final Ed25519PrivateKeyParameters privateKey;
    private final JCAContext jcaContext = new JCAContext();

    public Ed25519JwsSigner(OctetKeyPair key) throws JOSEException {
        if (!Curve.Ed25519.equals(key.getCurve())) {
            throw new JOSEException("Ed25519JwsSigner needs an Ed25519 key, not " + key.getCurve());
        }
        if (!key.isPrivate()) {
            throw new JOSEException("Ed25519JwsSigner needs a private key");
        }
        byte[] d = key.getDecodedD();
        if (d.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
            throw new JOSEException("Ed25519 private key must be 32 bytes");
        }
        this.privateKey = new Ed25519PrivateKeyParameters(d, 0);
        // Derive the public key once, here, rather than on every signature.
        this.privateKey.generatePublicKey();
    }

    @Override
    public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
        if (!JWSAlgorithm.EdDSA.equals(header.getAlgorithm())) {
            throw new JOSEException("Ed25519JwsSigner signs EdDSA only, not " + header.getAlgorithm());
        }
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, privateKey);
        signer.update(signingInput, 0, signingInput.length);
        return Base64URL.encode(signer.generateSignature());
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
