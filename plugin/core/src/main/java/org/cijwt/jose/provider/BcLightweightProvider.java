package org.cijwt.jose.provider;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.function.UnaryOperator;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * The portable fallback: Bouncy Castle's lightweight API for Ed25519 and P-256 (pure Java, no
 * JCA look-ups, several times faster than the JDK 17 providers), RSA on the JDK's SunRsaSign.
 * P-256 nonces are deterministic (RFC 6979), so a weak random source can never leak the key.
 */
final class BcLightweightProvider implements CryptoProvider {
    static final BcLightweightProvider INSTANCE = new BcLightweightProvider();
    private static final int ED25519_SIGNATURE_SIZE = Ed25519.SIGNATURE_SIZE;

    private final Provider jdkRsa;

    private BcLightweightProvider() {
        Provider sun = Security.getProvider("SunRsaSign");
        if (sun == null) {
            try {
                sun = Signature.getInstance("SHA256withRSA").getProvider();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("this JDK cannot sign SHA256withRSA", e);
            }
        }
        this.jdkRsa = sun;
    }

    @Override
    public String name() {
        return BOUNCY_CASTLE;
    }

    @Override
    public String description() {
        return "Bouncy Castle lightweight API for EdDSA and ES256, the JDK's " + jdkRsa.getName() + " for RS256";
    }

    @Override
    public RawSigner ed25519Signer(byte[] seed) throws InvalidKeyException {
        JdkKeys.requireEd25519Length(seed, "private key");
        Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(seed, 0);
        // Derived once here; passing it explicitly also skips the lock generatePublicKey() takes per call.
        Ed25519PublicKeyParameters pub = key.generatePublicKey();
        return message -> {
            byte[] sig = new byte[ED25519_SIGNATURE_SIZE];
            key.sign(Ed25519.Algorithm.Ed25519, pub, null, message, 0, message.length, sig, 0);
            return sig;
        };
    }

    @Override
    public RawVerifier ed25519Verifier(byte[] publicKey) throws InvalidKeyException {
        Ed25519PublicKeyParameters key = JdkKeys.ed25519PublicParameters(publicKey);
        return (message, sig) -> sig != null && sig.length == ED25519_SIGNATURE_SIZE
                && key.verify(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, sig, 0);
    }

    @Override
    public RawSigner p256Signer(BigInteger d) throws InvalidKeyException {
        if (d == null || d.signum() <= 0 || d.compareTo(P256.N) >= 0) {
            throw new InvalidKeyException("the P-256 private key is out of range");
        }
        ECPrivateKeyParameters key = new ECPrivateKeyParameters(d, P256.DOMAIN);
        return message -> {
            ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
            signer.init(true, key);
            BigInteger[] rs = signer.generateSignature(P256.sha256(message));
            byte[] out = new byte[2 * P256.SIZE];
            P256.put(rs[0], out, 0);
            P256.put(rs[1], out, P256.SIZE);
            return P256.toLowS(out);
        };
    }

    @Override
    public RawVerifier p256Verifier(BigInteger x, BigInteger y) throws InvalidKeyException {
        ECPublicKeyParameters key = new ECPublicKeyParameters(P256.validatePoint(x, y), P256.DOMAIN);
        return (message, sig) -> {
            if (!P256.isCanonical(sig)) {
                return false;
            }
            ECDSASigner verifier = new ECDSASigner();
            verifier.init(false, key);
            return verifier.verifySignature(P256.sha256(message), P256.r(sig), P256.s(sig));
        };
    }

    @Override
    public RawSigner rsaSha256Signer(RSAPrivateKey key) throws InvalidKeyException {
        return new JcaSigner(jdkRsa, "SHA256withRSA", () -> key, UnaryOperator.identity());
    }

    @Override
    public RawVerifier rsaSha256Verifier(RSAPublicKey key) throws InvalidKeyException {
        int length = (key.getModulus().bitLength() + 7) / 8;
        return new JcaVerifier(jdkRsa, "SHA256withRSA", () -> key, sig -> sig.length == length);
    }

    @Override
    public SecureRandom newSecureRandom() {
        try {
            // A DRBG per thread: NativePRNG instances all share one lock, a DRBG only its own.
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }
}
