package org.cijwt.jose.provider;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.util.Arrays;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.math.ec.ECPoint;

/**
 * The P-256 domain and the rules both providers apply to ES256 signatures in JWS form
 * ({@code r || s}, 32 bytes each): we only make low-S signatures and only accept them.
 *
 * <p>ECDSA is malleable: if {@code (r, s)} verifies, so does {@code (r, n - s)}. RFC 7518 does
 * not forbid that, but a second valid token for the same claims defeats anything keyed on the
 * token's bytes (a deny-list, a replay or verification cache), so exactly one of the pair, the
 * one with {@code s <= n/2}, is valid here, as Bitcoin (BIP 62) and Ethereum do.
 */
public final class P256 {
    /**
     * Bouncy Castle's custom P-256 curve: dedicated field arithmetic, several times faster than the
     * generic BigInteger curve that {@code ECNamedCurveTable} returns.
     */
    static final ECNamedDomainParameters DOMAIN =
            new ECNamedDomainParameters(SECObjectIdentifiers.secp256r1, CustomNamedCurves.getByName("P-256"));
    static final BigInteger N = DOMAIN.getN();
    static final BigInteger HALF_N = N.shiftRight(1);
    /** Bytes in r, in s, and in a coordinate. */
    static final int SIZE = 32;

    private P256() {
    }

    static byte[] sha256(byte[] input) {
        SHA256Digest d = new SHA256Digest();
        d.update(input, 0, input.length);
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return out;
    }

    /** Writes {@code v} big-endian into 32 bytes at {@code offset}, left-padded with zeros. */
    static void put(BigInteger v, byte[] out, int offset) {
        byte[] raw = v.toByteArray();
        int copy = Math.min(raw.length, SIZE);
        Arrays.fill(out, offset, offset + SIZE - copy, (byte) 0);
        System.arraycopy(raw, raw.length - copy, out, offset + SIZE - copy, copy);
    }

    /** The point, refused unless it lies on P-256 (an invalid-curve attack sends one that does not). */
    static ECPoint validatePoint(BigInteger x, BigInteger y) throws InvalidKeyException {
        try {
            return DOMAIN.getCurve().validatePoint(x, y);
        } catch (IllegalArgumentException e) {
            throw new InvalidKeyException("the P-256 public key is not a point on the curve");
        }
    }

    static BigInteger r(byte[] rs) {
        return new BigInteger(1, Arrays.copyOfRange(rs, 0, SIZE));
    }

    static BigInteger s(byte[] rs) {
        return new BigInteger(1, Arrays.copyOfRange(rs, SIZE, 2 * SIZE));
    }

    /** Replaces {@code s} by {@code n - s} when it is above {@code n/2}, in place; returns {@code rs}. */
    public static byte[] toLowS(byte[] rs) {
        BigInteger s = s(rs);
        if (s.compareTo(HALF_N) > 0) {
            put(N.subtract(s), rs, SIZE);
        }
        return rs;
    }

    /** Whether {@code rs} is 64 bytes with {@code 1 <= r < n} and {@code 1 <= s <= n/2}. */
    static boolean isCanonical(byte[] rs) {
        if (rs == null || rs.length != 2 * SIZE) {
            return false;
        }
        BigInteger r = r(rs);
        BigInteger s = s(rs);
        return r.signum() > 0 && r.compareTo(N) < 0 && s.signum() > 0 && s.compareTo(HALF_N) <= 0;
    }
}
