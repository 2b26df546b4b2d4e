package org.cijwt.keys;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.util.Arrays;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;

/**
 * Checks that a JWK's numbers make a usable key of its type before anything signs or verifies
 * with it, so a broken key is one {@link ErrorCode#KEY_MALFORMED} error naming its origin rather
 * than an unchecked exception from deep inside a crypto library.
 */
final class KeyMaterial {
    private static final X9ECParameters P256 = CustomNamedCurves.getByName("P-256");
    private static final int ED25519_BYTES = 32;
    private static final int P256_BYTES = 32;

    private KeyMaterial() {
    }

    /** Refuses a key whose public (and, when present, private) members are not a valid key of {@code alg}. */
    static void validate(JWK jwk, SigningAlgorithm alg, String origin) throws CiJwtException {
        String name = origin + ": " + alg + " key" + (jwk.getKeyID() == null ? "" : " '" + jwk.getKeyID() + "'");
        try {
            switch (alg) {
                case EdDSA -> ed25519((OctetKeyPair) jwk, name);
                case ES256 -> p256((ECKey) jwk, name);
                case RS256 -> rsa((RSAKey) jwk, name);
            }
        } catch (RuntimeException e) {
            // Bouncy Castle refuses impossible numbers with assorted unchecked exceptions; their
            // messages may quote key bytes, so only the kind of failure is kept.
            throw malformed(name + " whose numbers are not a valid key (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static void ed25519(OctetKeyPair okp, String name) throws CiJwtException {
        byte[] x = okp.getDecodedX();
        if (x.length != ED25519_BYTES) {
            throw malformed(name + " whose public key x is " + x.length + " bytes, not " + ED25519_BYTES);
        }
        // Full validation: a canonical encoding of a point in the prime-order group. A small-order
        // point (the identity, for one) would accept signatures nobody made with a private key.
        if (!Ed25519.validatePublicKeyFull(x, 0)) {
            throw malformed(name + " whose public key x is not a point of the Ed25519 prime-order group"
                    + " (a small-order or non-canonical point)");
        }
        if (okp.getD() != null) {
            byte[] d = okp.getDecodedD();
            if (d.length != ED25519_BYTES) {
                throw malformed(name + " whose private key d is " + d.length + " bytes, not " + ED25519_BYTES);
            }
            byte[] derived = new Ed25519PrivateKeyParameters(d, 0).generatePublicKey().getEncoded();
            if (!Arrays.equals(derived, x)) {
                throw malformed(name + " whose private key d does not belong to its public key x");
            }
        }
    }

    private static void p256(ECKey ec, String name) throws CiJwtException {
        // RFC 7518 section 6.2.1.2: coordinates are the full field size, never shortened.
        requireLength(ec.getX(), P256_BYTES, name, "x");
        requireLength(ec.getY(), P256_BYTES, name, "y");
        BigInteger x = ec.getX().decodeToBigInteger();
        BigInteger y = ec.getY().decodeToBigInteger();
        BigInteger p = P256.getCurve().getField().getCharacteristic();
        if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
            throw malformed(name + " whose public point has a coordinate outside the P-256 field");
        }
        ECPoint q;
        try {
            q = P256.getCurve().validatePoint(x, y);
        } catch (IllegalArgumentException e) {
            throw malformed(name + " whose public point (x, y) is not on the P-256 curve");
        }
        if (ec.getD() != null) {
            requireLength(ec.getD(), P256_BYTES, name, "d");
            BigInteger d = ec.getD().decodeToBigInteger();
            if (d.signum() <= 0 || d.compareTo(P256.getN()) >= 0) {
                throw malformed(name + " whose private key d is outside 1..n-1");
            }
            ECPoint derived = new FixedPointCombMultiplier().multiply(P256.getG(), d).normalize();
            if (!derived.equals(q.normalize())) {
                throw malformed(name + " whose private key d does not belong to its public point (x, y)");
            }
        }
    }

    private static void rsa(RSAKey rsa, String name) throws CiJwtException {
        BigInteger n = rsa.getModulus().decodeToBigInteger();
        BigInteger e = rsa.getPublicExponent().decodeToBigInteger();
        if (!e.testBit(0) || e.compareTo(BigInteger.valueOf(3)) < 0 || e.compareTo(n) >= 0) {
            throw malformed(name + " whose public exponent e is not an odd number between 3 and n");
        }
        try {
            // Bouncy Castle's public-key checks: odd modulus, no small prime factor, not a prime.
            new RSAKeyParameters(false, n, e);
        } catch (IllegalArgumentException ex) {
            throw malformed(name + " whose modulus n is not a valid RSA modulus");
        }
        // Nimbus has made sure the CRT members come all together or not at all; a private key with
        // only d is valid (RFC 7518 section 6.3.2) and proved by the signing probe.
        if (rsa.getFirstPrimeFactor() != null && rsa.getSecondPrimeFactor() != null) {
            BigInteger p = rsa.getFirstPrimeFactor().decodeToBigInteger();
            BigInteger q = rsa.getSecondPrimeFactor().decodeToBigInteger();
            if (!p.multiply(q).equals(n)) {
                throw malformed(name + " whose primes p and q do not multiply to its modulus n");
            }
        }
    }

    private static void requireLength(Base64URL value, int bytes, String name, String member) throws CiJwtException {
        int length = value.decode().length;
        if (length != bytes) {
            throw malformed(name + " whose " + member + " is " + length + " bytes, not " + bytes);
        }
    }

    private static CiJwtException malformed(String message) {
        return new CiJwtException(ErrorCode.KEY_MALFORMED, message);
    }
}
