package org.cijwt.vault.transit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.jose.provider.P256;

/**
 * A JWS signer for one version of a Transit key: Vault makes the signature, and it is checked here
 * against that version's public key before a token carries it, so a wrong version, format or key
 * never reaches a relying party. A failure is a {@link JOSEException} whose cause is the
 * {@link CiJwtException} to show ({@link ErrorCode#KEY_SERVICE_FAILED}).
 */
final class TransitSigner implements JWSSigner {
    private final SignBatcher batcher;
    private final int version;
    private final SigningAlgorithm alg;
    private final JWSVerifier verifier;
    private final String origin;
    private final JCAContext jcaContext = new JCAContext();

    TransitSigner(SignBatcher batcher, int version, SigningAlgorithm alg, JWSVerifier verifier, String origin) {
        this.batcher = batcher;
        this.version = version;
        this.alg = alg;
        this.verifier = verifier;
        this.origin = origin;
    }

    @Override
    public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
        if (!alg.jws().equals(header.getAlgorithm())) {
            throw new JOSEException(origin + " signs " + alg + " only, not " + header.getAlgorithm());
        }
        byte[] raw;
        try {
            raw = batcher.sign(version, signingInput);
        } catch (CiJwtException e) {
            throw new JOSEException(e.getMessage(), e);
        }
        if (alg == SigningAlgorithm.ES256) {
            // Vault's ECDSA leaves s high half the time; (r, n - s) is the same signature in the
            // one form our verifiers (and so every relying party of ours) accept.
            raw = P256.toLowS(raw);
        }
        Base64URL signature = Base64URL.encode(raw);
        if (!verifier.verify(header, signingInput, signature)) {
            CiJwtException bad = new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, origin + ": the " + alg
                    + " signature Vault returned for version " + version + " does not verify with that version's"
                    + " public key; no token was made");
            throw new JOSEException(bad.getMessage(), bad);
        }
        return signature;
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return Set.of(alg.jws());
    }

    @Override
    public JCAContext getJCAContext() {
        return jcaContext;
    }
}
