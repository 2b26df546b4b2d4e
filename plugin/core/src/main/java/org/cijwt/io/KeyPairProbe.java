package org.cijwt.io;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;

/** Whether a private key and a certificate's public key are one pair: sign a random challenge, verify it. */
public final class KeyPairProbe {
    private static final SecureRandom RANDOM = new SecureRandom();

    private KeyPairProbe() {
    }

    /**
     * True when {@code key} is the private half of {@code publicKey} (a certificate's, say), probed
     * with the signature its type makes: RSA, EC, Ed25519 or Ed448; any other type is no pair.
     */
    public static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
        String algorithm = switch (publicKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        return algorithm != null && belongTogether(key, publicKey, algorithm);
    }

    /** True when a signature by {@code key} with the JCA algorithm {@code algorithm} verifies with {@code publicKey}. */
    private static boolean belongTogether(PrivateKey key, PublicKey publicKey, String algorithm) {
        byte[] challenge = new byte[32];
        RANDOM.nextBytes(challenge);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            // A key the algorithm cannot use is as much a mismatch as a wrong key.
            return false;
        }
    }
}
