package org.cijwt.keys;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.SecureFiles;
import org.cijwt.jose.SigningAlgorithm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default key source: a state directory where keys are generated on first use and kept as a
 * private JWKS file ({@code keys.json}, mode 0600, written atomically), rotated on schedule.
 *
 * <p>Each key's schedule is kept in its JWK's own {@code nbf} (starts signing) and {@code exp}
 * (leaves the published set) members. Several processes may share the directory: changes are
 * made under a file lock.
 */
public final class EmbeddedKeyStore implements KeySource {
    public static final Path DEFAULT_DIR = Path.of(".ci-jwt", "keys");
    public static final String KEYS_FILE = "keys.json";
    static final String LOCK_FILE = ".lock";
    public static final Set<SigningAlgorithm> DEFAULT_ALGORITHMS = EnumSet.allOf(SigningAlgorithm.class);
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKeyStore.class);

    private final Path dir;
    private final RotationPolicy rotation;
    private final Clock clock;
    private final Set<SigningAlgorithm> algorithms;
    private volatile Instant nextChange;

    public EmbeddedKeyStore(Path dir, RotationPolicy rotation, Clock clock, Set<SigningAlgorithm> algorithms) {
        this.dir = dir;
        this.rotation = rotation;
        this.clock = clock;
        this.algorithms = EnumSet.copyOf(algorithms);
    }

    public Path keysFile() {
        return dir.resolve(KEYS_FILE);
    }

    /**
     * Loads the store, generating or rotating keys as due. A store directory that another user
     * owns or that group or others can write, or a file in it that another user owns, is refused
     * ({@code CJ208}): whoever can write there could plant the key ci-jwt signs with.
     */
    @Override
    public synchronized KeyRing load() throws CiJwtException {
        SecureFiles.createPrivateDirectory(dir);
        StoreOwnership.requireSafeDirectory(dir);
        Path lockPath = dir.resolve(LOCK_FILE);
        StoreOwnership.requireOwnFile(lockPath, "key store lock file");
        try (FileChannel lockFile = openLock(lockPath); FileLock lock = lockFile.lock()) {
            return loadLocked();
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "cannot lock key store " + dir + ": " + SecureFiles.reason(e));
        }
    }

    /** The lock file holds nothing, but is made 0600 like everything else in the store (and an older, wider one is narrowed). */
    private static FileChannel openLock(Path lockPath) throws IOException {
        FileChannel channel = FileChannel.open(lockPath, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(SecureFiles.PRIVATE));
        try {
            PosixFileAttributeView view = Files.getFileAttributeView(lockPath, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            if (view != null && !view.readAttributes().permissions().equals(SecureFiles.PRIVATE)) {
                view.setPermissions(SecureFiles.PRIVATE);
            }
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    private KeyRing loadLocked() throws CiJwtException {
        Instant now = clock.instant();
        List<KeyEntry> keys = new ArrayList<>();
        Path file = keysFile();
        if (Files.exists(file)) {
            StoreOwnership.requireOwnFile(file, "key store");
            SecureFiles.requirePrivatePermissions(file, "key store");
            List<KeyEntry> stored = JwksKeySource.entries(file, "key store " + file);
            if (stored.isEmpty()) {
                throw new CiJwtException(ErrorCode.KEY_MALFORMED, "key store " + file
                        + " has no keys; remove the file to start a new store");
            }
            for (KeyEntry k : stored) {
                k.requirePrivate("key store " + file, ErrorCode.KEY_MALFORMED);
                // A key without a schedule (hand-made store) has signed since forever.
                keys.add(k.notBefore() == null ? k.withSchedule(Instant.EPOCH, k.retiresAt()) : k);
            }
        }
        int before = keys.size();
        boolean changed = keys.removeIf(k -> k.retiresAt() != null && !k.retiresAt().isAfter(now));
        if (changed) {
            LOG.info("key store {}: removed {} retired key(s)", dir, before - keys.size());
        }
        List<KeyEntry> signing = new ArrayList<>();
        Instant next = null;
        for (SigningAlgorithm alg : algorithms) {
            List<KeyEntry> ofAlg = new ArrayList<>(keys.stream().filter(k -> k.algorithm() == alg)
                    .sorted(Comparator.comparing(KeyEntry::notBefore)).toList());
            KeyEntry active = activeOf(ofAlg, now);
            if (active == null) {
                active = KeyEntry.of(KeyCodec.generate(alg), null, "key store").withSchedule(now, null);
                keys.add(active);
                ofAlg.add(active);
                changed = true;
                LOG.info("key store {}: generated {} key {}", dir, alg, active.kid());
            }
            signing.add(active);
            if (!rotation.enabled()) {
                continue;
            }
            final Instant activeNbf = active.notBefore();
            KeyEntry successor = ofAlg.stream().filter(k -> k.notBefore().isAfter(activeNbf)).findFirst().orElse(null);
            Instant publishSuccessorAt = activeNbf.plus(rotation.period()).minus(rotation.grace());
            if (successor == null && !now.isBefore(publishSuccessorAt)) {
                Instant startsAt = later(activeNbf.plus(rotation.period()), now.plus(rotation.grace()));
                successor = KeyEntry.of(KeyCodec.generate(alg), null, "key store").withSchedule(startsAt, null);
                keys.add(successor);
                Instant retire = startsAt.plus(rotation.maxTokenTtl()).plus(RotationPolicy.RETIRE_MARGIN);
                keys.set(keys.indexOf(active), active.withSchedule(activeNbf, retire));
                signing.set(signing.size() - 1, active.withSchedule(activeNbf, retire));
                changed = true;
                LOG.info("key store {}: published next {} key {}, signing from {}", dir, alg, successor.kid(), startsAt);
            }
            next = earliest(next, successor == null ? publishSuccessorAt : successor.notBefore());
        }
        for (KeyEntry k : keys) {
            next = earliest(next, k.retiresAt());
        }
        nextChange = next;
        if (changed) {
            write(keys);
        }
        List<KeyEntry> published = keys.stream().filter(k -> !signing.contains(k)).toList();
        return KeyRing.of(signing, published, "key store " + file);
    }

    private static KeyEntry activeOf(List<KeyEntry> sortedByNbf, Instant now) {
        KeyEntry active = null;
        for (KeyEntry k : sortedByNbf) {
            if (!k.notBefore().isAfter(now)) {
                active = k;
            }
        }
        return active;
    }

    private void write(List<KeyEntry> keys) throws CiJwtException {
        List<JWK> jwks = new ArrayList<>();
        for (KeyEntry k : keys) {
            JWK j = k.jwk();
            var b = switch (k.algorithm()) {
                case EdDSA -> new com.nimbusds.jose.jwk.OctetKeyPair.Builder((com.nimbusds.jose.jwk.OctetKeyPair) j);
                case ES256 -> new com.nimbusds.jose.jwk.ECKey.Builder((com.nimbusds.jose.jwk.ECKey) j);
                case RS256 -> new com.nimbusds.jose.jwk.RSAKey.Builder((com.nimbusds.jose.jwk.RSAKey) j);
            };
            jwks.add(build(b, k));
        }
        String json = new JWKSet(jwks).toString(false);
        SecureFiles.writeAtomically(keysFile(), json, SecureFiles.PRIVATE);
    }

    private static JWK build(Object builder, KeyEntry k) {
        Date nbf = Date.from(k.notBefore());
        Date exp = k.retiresAt() == null ? null : Date.from(k.retiresAt());
        if (builder instanceof com.nimbusds.jose.jwk.OctetKeyPair.Builder b) {
            return b.keyID(k.kid()).algorithm(k.algorithm().jws()).notBeforeTime(nbf).expirationTime(exp).build();
        }
        if (builder instanceof com.nimbusds.jose.jwk.ECKey.Builder b) {
            return b.keyID(k.kid()).algorithm(k.algorithm().jws()).notBeforeTime(nbf).expirationTime(exp).build();
        }
        com.nimbusds.jose.jwk.RSAKey.Builder b = (com.nimbusds.jose.jwk.RSAKey.Builder) builder;
        return b.keyID(k.kid()).algorithm(k.algorithm().jws()).notBeforeTime(nbf).expirationTime(exp).build();
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Instant earliest(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a.isBefore(b) ? a : b;
    }

    @Override
    public List<Path> watchedFiles() {
        return List.of(keysFile());
    }

    @Override
    public Instant nextScheduledChange() {
        return nextChange;
    }

    @Override
    public String describe() {
        return "key store " + dir;
    }
}
