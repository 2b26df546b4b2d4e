package org.cijwt.jose.provider;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;

/**
 * The implementation every signature and verification of ci-jwt runs on: AWS-LC through the
 * Amazon Corretto Crypto Provider where its native library loads, Bouncy Castle's lightweight
 * code otherwise. One is chosen per process ({@link #active()}); the signers and verifiers it
 * makes are bound to one key, thread-safe, and do no provider look-up per call.
 *
 * <p>ES256 signatures it makes are always low-S ({@code s <= n/2}) and its ES256 verifiers refuse
 * high-S ones, so no one can turn a valid signature into a second valid one.
 */
public interface CryptoProvider {
    /** The id of the AWS-LC provider, as in {@code readyz} and the metric. */
    String ACCP = "accp";
    /** The id of the Bouncy Castle fallback. */
    String BOUNCY_CASTLE = "bouncycastle";

    /** The provider this process signs and verifies with, chosen once; see {@link CryptoProviders}. */
    static CryptoProvider active() {
        return CryptoProviders.active();
    }

    /** A stable short id: {@value #ACCP} or {@value #BOUNCY_CASTLE}. */
    String name();

    /** What it is, with versions, for the start-up log line. */
    String description();

    /** Ed25519 (RFC 8032) from the 32-byte private seed. */
    RawSigner ed25519Signer(byte[] seed) throws InvalidKeyException;

    /** Ed25519 from the 32-byte public key. */
    RawVerifier ed25519Verifier(byte[] publicKey) throws InvalidKeyException;

    /** ECDSA P-256 with SHA-256; signatures are {@code r || s}, 64 bytes, low-S. */
    RawSigner p256Signer(BigInteger d) throws InvalidKeyException;

    /** ECDSA P-256 with SHA-256 over {@code r || s}; refuses a point off the curve at construction, high-S when verifying. */
    RawVerifier p256Verifier(BigInteger x, BigInteger y) throws InvalidKeyException;

    /** RSASSA-PKCS1-v1_5 with SHA-256. */
    RawSigner rsaSha256Signer(RSAPrivateKey key) throws InvalidKeyException;

    /** RSASSA-PKCS1-v1_5 with SHA-256. */
    RawVerifier rsaSha256Verifier(RSAPublicKey key) throws InvalidKeyException;

    /** A new random source for one thread: {@link SecureRandom} instances share no lock across threads this way. */
    SecureRandom newSecureRandom();
}
