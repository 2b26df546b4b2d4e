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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.cijwt.errors.CiJwtException;
import org.cijwt.jose.SigningAlgorithm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key ring that follows its source: {@link #refresh()} reloads when a watched file changed
 * (including a Kubernetes Secret volume swapping its {@code ..data} symlink) or a rotation is
 * due.
 *
 * <p>The signing source and each verification-only source ({@code --verify-keys}) are reloaded
 * on their own. One that fails keeps the keys it last loaded and makes the ring
 * {@linkplain #degraded() degraded} until it loads again; the error is logged once per broken
 * version and kept in {@link #reloadErrors()}. Because the parts are independent, a broken
 * signing key file never keeps a verification key alive that was removed at the same time. A
 * verification file that is deleted or emptied is not a failure: it loads as no keys (see
 * {@link VerificationKeySource}).
 *
 * <p>{@link #refresh()} never throws, so a scheduler that calls it keeps running whatever is on
 * disk.
 */
public final class ReloadingKeyRing implements Supplier<KeyRing> {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadingKeyRing.class);

    private final KeySource source;
    private final Clock clock;
    /** The primary source first, then the verification-only ones; guarded by {@code this}. */
    private final List<Part> parts;
    private final AtomicLong failedReloads = new AtomicLong();
    private volatile KeyRing current;
    private volatile List<String> errors = List.of();
    private String combineError;

    /** One source's last good keys and the state of its files when they were loaded. */
    private static final class Part {
        final KeySource source;
        KeyRing ring;
        List<String> fingerprint;
        String error;
        List<String> loggedFailure;

        Part(KeySource source, KeyRing ring, List<String> fingerprint) {
            this.source = source;
            this.ring = ring;
            this.fingerprint = fingerprint;
        }
    }

    private ReloadingKeyRing(KeySource source, Clock clock, List<Part> parts) throws CiJwtException {
        this.source = source;
        this.clock = clock;
        this.parts = parts;
        this.current = combine(parts);
    }

    /** Loads once; a source that is broken at start-up is an error, not a silent empty ring. */
    public static ReloadingKeyRing start(KeySource source, Clock clock) throws CiJwtException {
        List<Part> parts = new ArrayList<>();
        for (KeySource s : partsOf(source)) {
            List<String> fp = fingerprint(s.watchedFiles());
            parts.add(new Part(s, s.load(), fp));
        }
        return new ReloadingKeyRing(source, clock, parts);
    }

    private static List<KeySource> partsOf(KeySource source) {
        return source instanceof KeySources.CompositeKeySource c ? c.parts() : List.of(source);
    }

    @Override
    public KeyRing get() {
        return current;
    }

    public KeySource source() {
        return source;
    }

    /** The reload errors now in force, joined, or null when every source loaded at its last try. */
    public String lastError() {
        List<String> now = errors;
        return now.isEmpty() ? null : String.join("; ", now);
    }

    /** One line per source whose last reload failed (it keeps serving its last good keys), naming its file. */
    public List<String> reloadErrors() {
        return errors;
    }

    /** True while some source failed to reload and its last good keys are served instead. */
    public boolean degraded() {
        return !errors.isEmpty();
    }

    /** How many reload attempts of a source have failed since start. */
    public long failedReloads() {
        return failedReloads.get();
    }

    /** Reloads the sources that need it; returns true when the ring changed. Never throws. */
    public synchronized boolean refresh() {
        Instant now = clock.instant();
        boolean reloaded = false;
        for (Part part : parts) {
            reloaded |= reload(part, now);
        }
        if (!reloaded) {
            return false;
        }
        KeyRing next;
        try {
            next = combine(parts);
            combineError = null;
        } catch (CiJwtException e) {
            // Two sources now disagree about a kid: keep serving the ring that was consistent.
            failedReloads.incrementAndGet();
            if (!e.userMessage().equals(combineError)) {
                LOG.error("{}; keeping the last good key ring", e.userMessage());
            }
            combineError = e.userMessage();
            publishErrors();
            return false;
        }
        KeyRing before = current;
        boolean changed = !next.publicJwksJson().equals(before.publicJwksJson())
                || !next.signingAlgorithms().equals(before.signingAlgorithms())
                || !signerKids(next).equals(signerKids(before));
        current = next;
        publishErrors();
        if (changed) {
            LOG.info("{} reloaded: {} published key(s), signing with {}", source.describe(),
                    next.publishedKeys().size(), next.signingAlgorithms());
        }
        return changed;
    }

    /** Reloads one part if its files changed, its rotation is due or its last try failed; true when its ring was replaced. */
    private boolean reload(Part part, Instant now) {
        List<String> fp = fingerprint(part.source.watchedFiles());
        Instant due = part.source.nextScheduledChange();
        boolean scheduled = due != null && !now.isBefore(due);
        if (fp.equals(part.fingerprint) && !scheduled && part.error == null) {
            return false;
        }
        try {
            part.ring = part.source.load();
            // Re-read: loading may itself have rewritten the file (rotation).
            part.fingerprint = fingerprint(part.source.watchedFiles());
            part.error = null;
            part.loggedFailure = null;
            return true;
        } catch (CiJwtException e) {
            fail(part, fp, e.userMessage(), null);
        } catch (RuntimeException e) {
            // A bug, not the file's fault; still no reason to stop serving the last good keys or
            // to end the caller's schedule.
            fail(part, fp, "internal error reloading " + part.source.describe() + " ("
                    + e.getClass().getName() + "); the last good keys stay in use", e);
        }
        return false;
    }

    private void fail(Part part, List<String> fp, String message, RuntimeException bug) {
        failedReloads.incrementAndGet();
        part.error = message;
        if (!fp.equals(part.loggedFailure)) {
            if (bug == null) {
                LOG.error("{}; keeping the keys it last loaded", message);
            } else {
                LOG.error("{}", message, bug);
            }
            part.loggedFailure = fp;
        }
        publishErrors();
    }

    private void publishErrors() {
        List<String> now = new ArrayList<>();
        for (Part p : parts) {
            if (p.error != null) {
                now.add(p.error);
            }
        }
        if (combineError != null) {
            now.add(combineError);
        }
        errors = List.copyOf(now);
    }

    private static KeyRing combine(List<Part> parts) throws CiJwtException {
        KeyRing ring = parts.get(0).ring;
        for (Part p : parts.subList(1, parts.size())) {
            ring = ring.withPublished(p.ring, p.source.describe());
        }
        return ring;
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
