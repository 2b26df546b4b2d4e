package org.cijwt.keys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.cijwt.errors.CiJwtException;
import org.cijwt.jose.SigningAlgorithm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key ring that follows its source: {@link #refresh()} reloads when a watched file changed
 * (including a Kubernetes Secret volume swapping its {@code ..data} symlink) or a rotation is
 * due. A broken new file keeps the last good ring and logs one error per broken version.
 */
public final class ReloadingKeyRing implements Supplier<KeyRing> {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadingKeyRing.class);

    private final KeySource source;
    private final Clock clock;
    private volatile KeyRing current;
    private volatile List<String> fingerprint;
    private List<String> lastFailedFingerprint;
    private volatile String lastError;

    private ReloadingKeyRing(KeySource source, Clock clock, KeyRing initial, List<String> fingerprint) {
        this.source = source;
        this.clock = clock;
        this.current = initial;
        this.fingerprint = fingerprint;
    }

    /** Loads once; a source that is broken at start-up is an error, not a silent empty ring. */
    public static ReloadingKeyRing start(KeySource source, Clock clock) throws CiJwtException {
        List<String> fp = fingerprint(source.watchedFiles());
        KeyRing ring = source.load();
        return new ReloadingKeyRing(source, clock, ring, fp);
    }

    @Override
    public KeyRing get() {
        return current;
    }

    public KeySource source() {
        return source;
    }

    /** The last reload error, or null when the last reload worked. */
    public String lastError() {
        return lastError;
    }

    /** Reloads if needed; returns true when the ring changed. */
    public synchronized boolean refresh() {
        List<String> fp = fingerprint(source.watchedFiles());
        Instant due = source.nextScheduledChange();
        boolean scheduled = due != null && !clock.instant().isBefore(due);
        if (fp.equals(fingerprint) && !scheduled) {
            return false;
        }
        try {
            KeyRing next = source.load();
            boolean changed = !next.publicJwksJson().equals(current.publicJwksJson())
                    || !next.signingAlgorithms().equals(current.signingAlgorithms())
                    || !signerKids(next).equals(signerKids(current));
            current = next;
            // Re-read: loading may itself have rewritten the file (rotation).
            fingerprint = fingerprint(source.watchedFiles());
            lastFailedFingerprint = null;
            lastError = null;
            if (changed) {
                LOG.info("{} reloaded: {} published key(s), signing with {}", source.describe(),
                        next.publishedKeys().size(), next.signingAlgorithms());
            }
            return changed;
        } catch (CiJwtException e) {
            lastError = e.userMessage();
            if (!fp.equals(lastFailedFingerprint)) {
                LOG.error("{}; keeping the last good key ring", e.userMessage());
                lastFailedFingerprint = fp;
            }
            return false;
        }
    }

    private static List<String> signerKids(KeyRing ring) {
        List<String> kids = new ArrayList<>();
        for (SigningAlgorithm a : SigningAlgorithm.values()) {
            kids.add(ring.signer(a).map(SigningKey::kid).orElse("-"));
        }
        return kids;
    }

    /** Real path, size and modification time of each file: a symlink swap changes the real path. */
    static List<String> fingerprint(List<Path> files) {
        List<String> out = new ArrayList<>();
        for (Path f : files) {
            try {
                Path real = f.toRealPath();
                BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
                out.add(real + "|" + a.size() + "|" + a.lastModifiedTime().toMillis() + "|" + a.fileKey());
            } catch (NoSuchFileException e) {
                out.add(f + "|missing");
            } catch (IOException e) {
                out.add(f + "|unreadable");
            }
        }
        return out;
    }
}
