package org.cijwt.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.util.Set;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;

/**
 * ES256 JWS signer on Bouncy Castle's lightweight ECDSA with deterministic nonces (RFC 6979), so
 * a weak random source can never leak the key. Going through JCA cost a provider look-up and a
 * DER round trip per signature; this writes the JWS {@code r || s} form directly.
 */
public final class P256JwsSigner implements JWSSigner {
    private static final Set<JWSAlgorithm> ALGS = Set.of(JWSAlgorithm.ES256);

    private final ECPrivateKeyParameters privateKey;
    private final JCAContext jcaContext = new JCAContext();

    public P256JwsSigner(ECKey key) throws JOSEException {
        if (!Curve.P_256.equals(key.getCurve()) || key.getD() == null) {
            throw new JOSEException("P256JwsSigner needs a private P-256 key");
        }
        this.privateKey = new ECPrivateKeyParameters(key.getD().decodeToBigInteger(), P256.DOMAIN);
    }

    @Override
    public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
        if (!JWSAlgorithm.ES256.equals(header.getAlgorithm())) {
            throw new JOSEException("P256JwsSigner signs ES256 only, not " + header.getAlgorithm());
        }
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, privateKey);
        BigInteger[] rs = signer.generateSignature(P256.sha256(signingInput));
        byte[] out = new byte[64];
        P256.put(rs[0], out, 0);
        P256.put(rs[1], out, 32);
        return Base64URL.encode(out);
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
