package org.cijwt.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.Set;

/**
 * Directories that only their owner may change: creating them owner-only (0700) and checking that no other
 * user can swap a directory on the way to a path this process writes as root.
 */
public final class PrivateDirectories {

    /** Mode of every directory created here. */
    public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private PrivateDirectories() {
    }

    /**
     * Creates {@code dir}'s missing ancestors (not {@code dir} itself) one by one with mode 0700; existing
     * ones are left as they are.
     */
    public static void createParents(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().normalize().getParent();
        if (parent == null) {
            return;
        }
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = parent; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
            missing.push(p);
        }
        for (Path p : missing) {
            create(p);
        }
    }

    /** {@code dir} and its missing ancestors created 0700 when missing; an existing {@code dir} is left as it is. */
    public static void ensure(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            createParents(dir);
            create(dir);
        }
    }

    /**
     * Creates {@code dir} with mode 0700 (set explicitly, since the umask filters the mode given at creation).
     *
     * @throws FileAlreadyExistsException when anything exists at {@code dir}; it is left untouched
     */
    public static void create(Path dir) throws IOException {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        Files.setPosixFilePermissions(dir, OWNER_ONLY);
    }

    /**
     * Why another user could replace one of {@code path}'s ancestors, or empty when none can: an existing
     * directory on the way that group or others may write without the sticky bit (which, as on {@code /tmp},
     * keeps them from renaming entries they do not own). Ancestors are checked on their real path;
     * {@code path} itself is the caller's to check.
     */
    public static Optional<String> ancestorWritableByOthers(Path path) throws IOException {
        Path parent = path.toAbsolutePath().normalize().getParent();
        while (parent != null && !Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
            parent = parent.getParent();
        }
        if (parent == null || !Files.isDirectory(parent)) {
            return Optional.empty();
        }
        for (Path p = parent.toRealPath(); p != null; p = p.getParent()) {
            Optional<String> found = problem(p);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** Whether group or others may write {@code dir} itself, sticky or not. */
    public static boolean isWritableByOthers(Path dir) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        return perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE);
    }

    private static Optional<String> problem(Path dir) throws IOException {
        if (!isWritableByOthers(dir) || isSticky(dir)) {
            return Optional.empty();
        }
        return Optional.of(dir + " is writable by group or others ("
                + PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS))
                + "), so another user could replace what is in it");
    }

    private static boolean isSticky(Path dir) throws IOException {
        try {
            int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 01000) != 0;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }
}
