package org.cijwt.jose.provider;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import java.security.SignatureException;
import java.util.function.UnaryOperator;

/**
 * A JCA {@link Signature} of one provider, initialised with one private key once per thread:
 * {@code Signature} objects are not thread-safe, and creating one per call would cost a provider
 * look-up and a key translation every time. Threads share nothing mutable, not even a key object.
 */
final class JcaSigner implements RawSigner {
    private final ThreadLocal<Signature> perThread;
    private final UnaryOperator<byte[]> toJws;

    /** {@code toJws} turns what the provider returns into the JWS form (and may normalise it). */
    JcaSigner(Provider provider, String algorithm, KeyMaker<PrivateKey> key, UnaryOperator<byte[]> toJws)
            throws InvalidKeyException {
        this.toJws = toJws;
        // Made here first, so a key the provider refuses fails now rather than at the first token.
        Signature first = create(provider, algorithm, key);
        this.perThread = ThreadLocal.withInitial(() -> {
            try {
                return create(provider, algorithm, key);
            } catch (InvalidKeyException e) {
                // The same key was accepted on the constructing thread, so this is not input.
                throw new IllegalStateException(provider.getName() + " refused a key it accepted before", e);
            }
        });
        perThread.set(first);
    }

    private static Signature create(Provider provider, String algorithm, KeyMaker<PrivateKey> key) throws InvalidKeyException {
        try {
            Signature s = Signature.getInstance(algorithm, provider);
            s.initSign(key.make());
            return s;
        } catch (InvalidKeyException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyException(provider.getName() + " cannot sign " + algorithm + ": " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] sign(byte[] message) throws SignatureException {
        Signature s = perThread.get();
        try {
            s.update(message);
            return toJws.apply(s.sign());
        } catch (SignatureException | RuntimeException e) {
            // Its state is unknown after a failure: the next call on this thread starts afresh.
            perThread.remove();
            throw e;
        }
    }
}
