package org.cijwt.jose.provider;

import java.security.SecureRandom;

/**
 * Random bytes from the active provider's generator, one generator per thread, so threads that
 * mint at once never wait on each other's lock (the JDK's default NativePRNG has one for all).
 */
public final class RandomBytes {
    private static final ThreadLocal<SecureRandom> PER_THREAD =
            ThreadLocal.withInitial(() -> CryptoProviders.active().newSecureRandom());

    private RandomBytes() {
    }

    /** Fills {@code out} with random bytes. */
    public static void fill(byte[] out) {
        PER_THREAD.get().nextBytes(out);
    }
}
