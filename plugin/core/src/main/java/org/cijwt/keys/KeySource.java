package org.cijwt.keys;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.cijwt.errors.CiJwtException;

/** Where keys come from: each source loads into a {@link KeyRing}. */
public interface KeySource {

    /** Loads (or re-reads) the keys; a broken source fails naming its file and what is wrong. */
    KeyRing load() throws CiJwtException;

    /** Files whose change on disk means the ring should be loaded again. */
    default List<Path> watchedFiles() {
        return List.of();
    }

    /** When the ring changes by itself (rotation), or null if it never does. */
    default Instant nextScheduledChange() {
        return null;
    }

    /** Names the source in logs and messages, without key material. */
    String describe();
}
