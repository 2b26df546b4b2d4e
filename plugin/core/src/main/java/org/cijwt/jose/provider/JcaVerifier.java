package org.cijwt.jose.provider;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.util.function.Predicate;

/** The verifying pair of {@link JcaSigner}: one initialised {@link Signature}, with its own key object, per thread. */
final class JcaVerifier implements RawVerifier {
    private final ThreadLocal<Signature> perThread;
    private final Predicate<byte[]> wellFormed;

    /** {@code wellFormed} refuses a signature before the provider sees it (length, range, low-S). */
    JcaVerifier(Provider provider, String algorithm, KeyMaker<PublicKey> key, Predicate<byte[]> wellFormed)
            throws InvalidKeyException {
        this.wellFormed = wellFormed;
        Signature first = create(provider, algorithm, key);
        this.perThread = ThreadLocal.withInitial(() -> {
            try {
                return create(provider, algorithm, key);
            } catch (InvalidKeyException e) {
                throw new IllegalStateException(provider.getName() + " refused a key it accepted before", e);
            }
        });
        perThread.set(first);
    }

    private static Signature create(Provider provider, String algorithm, KeyMaker<PublicKey> key) throws InvalidKeyException {
        try {
            Signature s = Signature.getInstance(algorithm, provider);
            s.initVerify(key.make());
            return s;
        } catch (InvalidKeyException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyException(provider.getName() + " cannot verify " + algorithm + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean verify(byte[] message, byte[] signature) {
        if (signature == null || !wellFormed.test(signature)) {
            return false;
        }
        Signature s = perThread.get();
        try {
            s.update(message);
            return s.verify(signature);
        } catch (SignatureException | RuntimeException e) {
            // A signature the provider cannot even parse is simply not valid; start this thread afresh.
            perThread.remove();
            return false;
        }
    }
}
