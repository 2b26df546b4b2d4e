package org.cijwt.keys;

import org.cijwt.errors.CiJwtException;

/**
 * Adds a key source for a {@code SCHEME:LOCATION} value of {@code --keys} that {@link KeySources}
 * does not know itself (the example module adds {@code transit:MOUNT/KEY}); found with
 * {@link java.util.ServiceLoader}, so the plugin needs no compile-time dependency on the module
 * that holds the source.
 */
public interface KeySourceProvider {

    /** The scheme before the colon, lower case, for example {@code transit}. */
    String scheme();

    /**
     * Opens the source; cheap and offline where possible, because {@link KeySource#load()} is where
     * the keys are read.
     *
     * @param location what follows {@code SCHEME:} in the setting
     * @param options the other key settings (environment, clock, key id) of the command
     * @throws CiJwtException naming the setting and what is wrong with it
     */
    KeySource open(String location, KeySources.Options options) throws CiJwtException;
}
