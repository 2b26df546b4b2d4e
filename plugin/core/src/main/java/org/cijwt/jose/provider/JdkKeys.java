package org.cijwt.jose.provider;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/** Raw key bytes to the JDK key objects a JCA provider accepts; used once per key, never per signature. */
final class JdkKeys {
    /** DER of PKCS#8 PrivateKeyInfo for Ed25519 (RFC 8410), up to the 32-byte seed. */
    private static final byte[] ED25519_PKCS8_PREFIX = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
            0x04, 0x22, 0x04, 0x20};
    /** DER of SubjectPublicKeyInfo for Ed25519 (RFC 8410), up to the 32-byte key. */
    private static final byte[] ED25519_X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    private JdkKeys() {
    }

    static void requireEd25519Length(byte[] key, String what) throws InvalidKeyException {
        if (key == null || key.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
            throw new InvalidKeyException("an Ed25519 " + what + " is 32 bytes, not " + (key == null ? 0 : key.length));
        }
    }

    /**
     * Bouncy Castle's view of an Ed25519 public key; its constructor refuses an encoding that is
     * not a point, so both providers refuse the same keys.
     */
    static Ed25519PublicKeyParameters ed25519PublicParameters(byte[] x) throws InvalidKeyException {
        requireEd25519Length(x, "public key");
        try {
            return new Ed25519PublicKeyParameters(x, 0);
        } catch (IllegalArgumentException e) {
            throw new InvalidKeyException("the Ed25519 public key is not a valid point");
        }
    }

    static PrivateKey ed25519Private(byte[] seed) throws InvalidKeyException {
        requireEd25519Length(seed, "private key");
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(concat(ED25519_PKCS8_PREFIX, seed)));
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyException("the Ed25519 private key is not valid", e);
        }
    }

    static PublicKey ed25519Public(byte[] x) throws InvalidKeyException {
        requireEd25519Length(x, "public key");
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(concat(ED25519_X509_PREFIX, x)));
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyException("the Ed25519 public key is not valid", e);
        }
    }

    /** The JDK's parameters of P-256 (secp256r1), for key specs. */
    static ECParameterSpec p256() throws InvalidKeyException {
        try {
            AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
            params.init(new ECGenParameterSpec("secp256r1"));
            return params.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyException("this JDK has no P-256 parameters", e);
        }
    }

    private static byte[] concat(byte[] prefix, byte[] key) {
        byte[] out = Arrays.copyOf(prefix, prefix.length + key.length);
        System.arraycopy(key, 0, out, prefix.length, key.length);
        return out;
    }
}
