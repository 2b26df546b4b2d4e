package org.cijwt.jose;

import java.math.BigInteger;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;

/** The P-256 domain and the byte helpers ES256 needs. */
final class P256 {
    /**
     * Bouncy Castle's custom P-256 curve: dedicated field arithmetic, several times faster than the
     * generic BigInteger curve that {@code ECNamedCurveTable} returns.
     */
    static final ECNamedDomainParameters DOMAIN =
            new ECNamedDomainParameters(SECObjectIdentifiers.secp256r1, CustomNamedCurves.getByName("P-256"));

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
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, out, offset + 32 - copy, copy);
    }
}
