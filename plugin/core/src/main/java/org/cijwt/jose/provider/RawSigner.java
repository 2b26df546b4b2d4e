package org.cijwt.jose.provider;

import java.security.SignatureException;

/** Signs bytes with one private key; safe to call from many threads at once. */
@FunctionalInterface
public interface RawSigner {
    /** The signature over {@code message}, in JWS form (for ECDSA {@code r || s}, not DER). */
    byte[] sign(byte[] message) throws SignatureException;
}
