package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Set;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;

/** ES256 JWS verifier on Bouncy Castle's lightweight ECDSA; the pair of {@link P256JwsSigner}. */
public final class P256JwsVerifier implements JWSVerifier {
    private static final Set<JWSAlgorithm> ALGS = Set.of(JWSAlgorithm.ES256);

    private final ECPublicKeyParameters publicKey;
    private final JCAContext jcaContext = new JCAContext();

    public P256JwsVerifier(ECKey key) throws JOSEException {
        if (!Curve.P_256.equals(key.getCurve())) {
            throw new JOSEException("P256JwsVerifier needs a P-256 key");
        }
        ECPoint q;
        try {
            // validatePoint refuses a point that is not on the curve (invalid-curve attacks).
            q = P256.DOMAIN.getCurve().validatePoint(key.getX().decodeToBigInteger(), key.getY().decodeToBigInteger());
        } catch (IllegalArgumentException e) {
            throw new JOSEException("P-256 public key is not a point on the curve");
        }
        this.publicKey = new ECPublicKeyParameters(q, P256.DOMAIN);
    }

    @Override
    public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) {
        if (!JWSAlgorithm.ES256.equals(header.getAlgorithm()) || header.getCriticalParams() != null) {
            return false;
        }
        byte[] sig = signature.decode();
        if (sig.length != 64) {
            return false;
        }
        BigInteger r = new BigInteger(1, Arrays.copyOfRange(sig, 0, 32));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
        ECDSASigner verifier = new ECDSASigner();
        verifier.init(false, publicKey);
        // BC rejects r or s outside [1, n-1] before any curve arithmetic.
        return verifier.verifySignature(P256.sha256(signingInput), r, s);
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
