package org.cijwt.jose.provider;

import java.security.InvalidKeyException;
import java.security.Key;

/**
 * Makes the key object one thread's {@link java.security.Signature} is initialised with. ACCP
 * guards each of its native key objects with a lock, so every thread gets its own copy rather
 * than sharing one; the JDK's immutable keys can simply be returned again.
 */
@FunctionalInterface
interface KeyMaker<K extends Key> {
    K make() throws InvalidKeyException;
}
