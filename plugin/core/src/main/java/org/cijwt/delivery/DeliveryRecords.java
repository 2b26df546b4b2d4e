package org.cijwt.delivery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.FileOwner;
import org.cijwt.io.PrivateDirectories;
import org.cijwt.io.SecureFiles;

/**
 * The state directory where ci-jwt keeps a {@link DeliveryRecord} per container: owned by the user ci-jwt runs
 * as (root on a worker), mode 0700, one file {@code <sha256 of the key>.json} (0600) per delivery, each
 * replaced atomically.
 *
 * <p>A container cannot reach this directory, and ci-jwt refuses one that another user could write, so only
 * ci-jwt itself decides what a clean-up removes.
 */
public final class DeliveryRecords {

    /** The state directory when ci-jwt runs as root, as text. */
    public static final String ROOT_DEFAULT_TEXT = "/run/ci-jwt/preflight";

    /** The state directory when ci-jwt runs as root. */
    public static final Path ROOT_DEFAULT = Path.of(ROOT_DEFAULT_TEXT);

    private static final String SUFFIX = ".json";
    private static final Pattern FILE_NAME = Pattern.compile("[0-9a-f]{64}\\.json");

    private final Path directory;
    private final FileOwner self;

    private DeliveryRecords(Path directory, FileOwner self) {
        this.directory = directory;
        this.self = self;
    }

    /**
     * The state directory used when none is given: {@value #ROOT_DEFAULT_TEXT} as root, else
     * {@code $XDG_RUNTIME_DIR/ci-jwt/preflight}, else {@code ~/.ci-jwt/preflight}. Under {@code /run} the
     * records go with a reboot, as the containers they describe do.
     */
    public static Path defaultDirectory() {
        return defaultDirectory(FileOwner.thisProcessIsRoot(), System.getenv(), Path.of(System.getProperty("user.home")));
    }

    static Path defaultDirectory(boolean root, Map<String, String> env, Path home) {
        if (root) {
            return ROOT_DEFAULT;
        }
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (runtime != null && runtime.startsWith("/")) {
            return Path.of(runtime, "ci-jwt", "preflight");
        }
        return home.resolve(".ci-jwt").resolve("preflight");
    }

    /**
     * Opens the state directory {@code dir}, creating it (and missing parents) 0700.
     *
     * @throws DeliveryException ({@link ErrorCode#DELIVERY_RECORD_INVALID}) when it is not a real directory, is
     *     owned by another user, or it or a directory above it can be written by group or others
     */
    public static DeliveryRecords open(Path dir) throws DeliveryException {
        Path absolute = dir.toAbsolutePath().normalize();
        FileOwner self;
        try {
            self = FileOwner.ofThisProcess();
            if (!Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
                PrivateDirectories.createParents(absolute);
                try {
                    PrivateDirectories.create(absolute);
                } catch (FileAlreadyExistsException raced) {
                    // Another ci-jwt created it first; it is checked below like any existing one.
                }
            }
            if (!Files.isDirectory(absolute, LinkOption.NOFOLLOW_LINKS)) {
                throw unsafe("state directory " + absolute + " is not a directory");
            }
            FileOwner owner = FileOwner.of(absolute);
            if (owner.uid() != self.uid()) {
                throw unsafe("state directory " + absolute + " is owned by uid " + owner.uid() + ", not by uid " + self.uid()
                        + " that ci-jwt runs as");
            }
            if (PrivateDirectories.isWritableByOthers(absolute)) {
                throw unsafe("state directory " + absolute + " is writable by group or others ("
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(absolute, LinkOption.NOFOLLOW_LINKS))
                        + "); run: chmod 700 " + absolute);
            }
            Optional<String> above = PrivateDirectories.ancestorWritableByOthers(absolute);
            if (above.isPresent()) {
                throw unsafe("state directory " + absolute + " cannot be trusted: " + above.get());
            }
        } catch (IOException e) {
            throw new DeliveryException(ErrorCode.DELIVERY_RECORD_INVALID, "cannot open state directory " + absolute + ": "
                    + SecureFiles.reason(e), e);
        }
        return new DeliveryRecords(absolute, self);
    }

    /** The state directory. */
    public Path directory() {
        return directory;
    }

    /**
     * The key of a delivery into {@code bundle}: its real path once it exists, so two spellings of one bundle
     * share one record.
     */
    public static String bundleKey(Path bundle) {
        return "bundle:" + realOrAbsolute(bundle);
    }

    /**
     * The key of a delivery into the container {@code id}, for callers (such as a worker agent) that know it.
     *
     * @throws IllegalArgumentException when {@code id} is not a container id as runc accepts one
     */
    public static String containerKey(String id) {
        return "container:" + ContainerId.requireValid(id);
    }

    /** A bundle's real path when it exists, else its absolute normalised path. */
    static Path realOrAbsolute(Path bundle) {
        try {
            return bundle.toRealPath();
        } catch (IOException e) {
            return bundle.toAbsolutePath().normalize();
        }
    }

    /** The record filed under {@code key}, if any. */
    public Optional<DeliveryRecord> find(String key) throws DeliveryException {
        Path file = fileOf(key);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        DeliveryRecord record = read(file);
        if (!record.key().equals(key)) {
            throw new DeliveryException(ErrorCode.DELIVERY_RECORD_INVALID, "delivery record " + file + " is filed under "
                    + key + " but is the record of " + record.key() + "; ci-jwt does not trust it");
        }
        return Optional.of(record);
    }

    /** Every record in the directory, for a process that resumes after a restart. */
    public List<DeliveryRecord> all() throws DeliveryException {
        List<DeliveryRecord> records = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (FILE_NAME.matcher(file.getFileName().toString()).matches()) {
                    DeliveryRecord record = read(file);
                    if (!file.equals(fileOf(record.key()))) {
                        throw new DeliveryException(ErrorCode.DELIVERY_RECORD_INVALID, "delivery record " + file
                                + " is not filed under its key " + record.key() + "; ci-jwt does not trust it");
                    }
                    records.add(record);
                }
            }
        } catch (IOException e) {
            throw new DeliveryException(ErrorCode.DELIVERY_RECORD_INVALID, "cannot list state directory " + directory + ": "
                    + SecureFiles.reason(e), e);
        }
        return records;
    }

    /** Files {@code record} under its key, replacing any earlier one atomically (0600), forced to disk. */
    public void put(DeliveryRecord record) throws DeliveryException {
        put(record, SecureFiles.Durability.SYNCED);
    }

    /** Files {@code record} under its key, replacing any earlier one atomically (0600), forced to disk or not. */
    public void put(DeliveryRecord record, SecureFiles.Durability durability) throws DeliveryException {
        Path file = fileOf(record.key());
        try {
            SecureFiles.replace(file, record.toJson().getBytes(StandardCharsets.UTF_8), SecureFiles.PRIVATE, null, durability);
        } catch (IOException e) {
            throw new DeliveryException("cannot write delivery record " + file + ": " + SecureFiles.reason(e), e);
        }
    }

    /** Removes the record filed under {@code key}; a missing one is fine. */
    public void remove(String key) throws DeliveryException {
        Path file = fileOf(key);
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new DeliveryException("cannot remove delivery record " + file + ": " + SecureFiles.reason(e), e);
        }
    }

    /** Where the record of {@code key} is kept. */
    public Path fileOf(String key) {
        return directory.resolve(SpecPatch.sha256(key) + SUFFIX);
    }

    private DeliveryRecord read(Path file) throws DeliveryException {
        String text;
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw unsafe("delivery record " + file + " is not a regular file; ci-jwt does not trust it");
            }
            FileOwner owner = FileOwner.of(file);
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            if (owner.uid() != self.uid()) {
                throw unsafe("delivery record " + file + " is owned by uid " + owner.uid() + ", not by uid " + self.uid()
                        + " that ci-jwt runs as; ci-jwt does not trust it");
            }
            if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw unsafe("delivery record " + file + " is writable by group or others ("
                        + PosixFilePermissions.toString(perms) + "); ci-jwt does not trust it");
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw unsafe("delivery record " + file + " vanished while it was read");
        } catch (IOException e) {
            throw new DeliveryException(ErrorCode.DELIVERY_RECORD_INVALID, "cannot read delivery record " + file + ": "
                    + SecureFiles.reason(e), e);
        }
        return DeliveryRecord.parse(text, file.toString());
    }

    private static DeliveryException unsafe(String message) {
        return new DeliveryException(ErrorCode.DELIVERY_RECORD_INVALID, message);
    }

    @Override
    public String toString() {
        return "DeliveryRecords[" + directory + "]";
    }
}
