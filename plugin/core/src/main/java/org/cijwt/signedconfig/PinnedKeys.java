package org.cijwt.signedconfig;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;
import org.cijwt.errors.CiJwtException;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.keys.VerificationKeySource;

/**
 * The verification keys an operator pins for signed task configs (JWKS or PEM files, several for
 * rotation), reloaded like the other key files: pin a new key beside the old, and unpinning (removing
 * a file, or a key from it) stops its signatures at the next check.
 */
public final class PinnedKeys implements KeySource {
    private final List<Path> files;

    private PinnedKeys(List<Path> files) {
        this.files = List.copyOf(files);
    }

    /** A ring of the files' public keys that re-reads them when they change. */
    public static Supplier<KeyRing> reloading(List<Path> files, Clock clock) throws CiJwtException {
        ReloadingKeyRing ring = ReloadingKeyRing.start(new PinnedKeys(files), clock);
        return () -> {
            ring.refresh();
            return ring.get();
        };
    }

    @Override
    public KeyRing load() throws CiJwtException {
        KeyRing ring = KeyRing.empty();
        for (Path f : files) {
            ring = ring.withPublished(new VerificationKeySource(f).load(), describe());
        }
        return ring;
    }

    @Override
    public List<Path> watchedFiles() {
        return files;
    }

    @Override
    public String describe() {
        return "pinned config verification keys " + files;
    }
}
