package org.cijwt.jose.provider;

/** Checks signatures made with one public key; safe to call from many threads at once. */
@FunctionalInterface
public interface RawVerifier {
    /** Whether {@code signature} (JWS form) is valid for {@code message}; false, never an exception, for anything malformed. */
    boolean verify(byte[] message, byte[] signature);
}
