package org.cijwt.delivery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.cijwt.io.FileOwner;
import org.cijwt.io.PrivateDirectories;
import org.cijwt.io.SecureFiles;
import org.cijwt.io.Trees;

/**
 * A per-container host directory of token files that only the task's user (and root) can read, as
 * {@link TokenAccess} says; each file is replaced by an atomic rename so a container reading it never sees
 * half a token.
 *
 * <p>The directory, not the files, is bind-mounted into the container, because a bind mount of a
 * single file keeps pointing at the old inode after a rename and would never see a refresh.
 */
public final class TokenDirectory {

    /** Mode of every token file. */
    public static final Set<PosixFilePermission> FILE_MODE = TokenAccess.FILE_MODE;

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");

    private final Path path;
    private final TokenAccess access;

    private TokenDirectory(Path path, TokenAccess access) {
        this.path = path;
        this.access = access;
    }

    /**
     * Creates {@code dir} as a new token directory; missing parents are created 0700.
     *
     * @throws java.nio.file.FileAlreadyExistsException when anything exists at {@code dir}, which is left
     *     untouched: a directory ci-jwt did not create may hold other files, and would be emptied and opened up
     */
    public static TokenDirectory create(Path dir, TokenAccess access) throws IOException {
        Objects.requireNonNull(access, "access");
        Path absolute = dir.toAbsolutePath().normalize();
        PrivateDirectories.createParents(absolute);
        PrivateDirectories.create(absolute);
        try {
            access.directoryOwner().applyTo(absolute);
            Files.setPosixFilePermissions(absolute, access.directoryMode());
        } catch (IOException e) {
            Files.deleteIfExists(absolute);
            throw e;
        }
        return new TokenDirectory(absolute, access);
    }

    /**
     * Opens a token directory ci-jwt created earlier, as recorded, for example to refresh its files again.
     *
     * @throws IOException when {@code dir} is not a real directory owned as {@code access} says
     */
    public static TokenDirectory open(Path dir, TokenAccess access) throws IOException {
        Objects.requireNonNull(access, "access");
        Path absolute = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(absolute, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("token directory " + absolute + " is not a directory");
        }
        FileOwner owner = FileOwner.of(absolute);
        if (owner.uid() != access.directoryOwner().uid()) {
            throw new IOException("token directory " + absolute + " is owned by uid " + owner.uid() + ", not by uid "
                    + access.directoryOwner().uid() + " as ci-jwt left it");
        }
        return new TokenDirectory(absolute, access);
    }

    /** The absolute host path of the directory. */
    public Path path() {
        return path;
    }

    /** Who owns and may read the directory and its files. */
    public TokenAccess access() {
        return access;
    }

    /** The host path of the token file called {@code name}. */
    public Path file(String name) {
        requireValidName(name);
        return path.resolve(name);
    }

    /**
     * Writes (or atomically replaces) the token file {@code name} with {@code token}, owned and moded as
     * {@link #access()} says from the moment it appears. It is not forced to disk
     * ({@link SecureFiles.Durability#ATOMIC}): a token only serves a running container, and none
     * runs on after a power cut.
     *
     * @throws IllegalArgumentException when the name is invalid or the token empty
     * @throws IOException when the file cannot be written; the message never contains the token
     */
    public synchronized Path write(String name, String token) throws IOException {
        requireValidName(name);
        Objects.requireNonNull(token, "token");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("token " + name + " is empty");
        }
        Path target = path.resolve(name);
        // Root may write a 0550 directory anyway; a non-root owner needs the write bit for the rename.
        Files.setPosixFilePermissions(path, access.writingMode());
        try {
            SecureFiles.replace(target, token.getBytes(StandardCharsets.UTF_8), access.fileMode(), access.fileOwner(),
                    SecureFiles.Durability.ATOMIC);
        } finally {
            Files.setPosixFilePermissions(path, access.directoryMode());
        }
        return target;
    }

    /** Work on the directory's entries that needs it writable by its owner for a moment, such as binding a socket in it. */
    public interface Change<T> {
        T apply(Path directory) throws IOException;
    }

    /**
     * Runs {@code change} with the directory writable by its owner, then restores its mode: a
     * non-root owner needs the write bit to add an entry, as for a token file's rename.
     */
    public synchronized <T> T whileWritable(Change<T> change) throws IOException {
        Files.setPosixFilePermissions(path, access.writingMode());
        try {
            return change.apply(path);
        } finally {
            Files.setPosixFilePermissions(path, access.directoryMode());
        }
    }

    /**
     * Removes token files whose names are not in {@code names}, so that no stale token stays readable.
     *
     * @return the names removed
     */
    public synchronized List<String> retainOnly(Set<String> names) throws IOException {
        List<String> stale = new ArrayList<>();
        try (Stream<Path> files = Files.list(path)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (!names.contains(name) && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    stale.add(name);
                }
            }
        }
        if (stale.isEmpty()) {
            return stale;
        }
        Files.setPosixFilePermissions(path, access.writingMode());
        try {
            for (String name : stale) {
                Files.deleteIfExists(path.resolve(name));
            }
        } finally {
            Files.setPosixFilePermissions(path, access.directoryMode());
        }
        return stale;
    }

    /** Removes the directory and everything in it; a missing directory is fine. */
    public synchronized void delete() throws IOException {
        Trees.deleteRecursively(path);
    }

    /** What {@link #removeFiles} did: whether the directory is gone, and the entries it left because ci-jwt did not write them. */
    public record Removal(boolean directoryRemoved, List<String> leftInPlace) {

        public Removal {
            leftInPlace = List.copyOf(leftInPlace);
        }
    }

    /**
     * Removes the token files {@code names} (and the temp files a crash during their replacement may have
     * left) from a directory ci-jwt created, then the directory itself if nothing else is in it.
     *
     * <p>Only what ci-jwt wrote is removed, by name: anything else found there is left, with the directory,
     * and named in the result. A directory owned by another user is not touched at all.
     *
     * @throws IOException naming the path when it is not a directory, is owned by another user, or cannot be changed
     */
    public static Removal removeFiles(Path dir, Collection<String> names) throws IOException {
        Path absolute = dir.toAbsolutePath().normalize();
        if (!Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
            return new Removal(false, List.of());
        }
        if (!Files.isDirectory(absolute, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(absolute + " is not a directory; it was left in place");
        }
        FileOwner owner = FileOwner.of(absolute);
        FileOwner self = FileOwner.ofThisProcess();
        if (owner.uid() != self.uid()) {
            throw new IOException(absolute + " is owned by uid " + owner.uid() + ", not by ci-jwt's uid " + self.uid()
                    + ", so ci-jwt did not create it; it was left in place");
        }
        names.forEach(TokenDirectory::requireValidName);
        Set<PosixFilePermission> before = Files.getPosixFilePermissions(absolute, LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(absolute, PrivateDirectories.OWNER_ONLY);
        List<String> left = new ArrayList<>();
        try (Stream<Path> entries = Files.list(absolute)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                boolean ours = names.contains(name) || names.stream().anyMatch(n -> SecureFiles.isTempFileOf(name, n));
                if (ours && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    Files.delete(entry);
                } else {
                    left.add(name);
                }
            }
        }
        if (left.isEmpty()) {
            Files.delete(absolute);
            return new Removal(true, List.of());
        }
        Files.setPosixFilePermissions(absolute, before);
        left.sort(null);
        return new Removal(false, left);
    }

    /**
     * Checks a token name: 1 to 63 characters of {@code a-z 0-9 _ . -}, starting with a letter or digit.
     *
     * @throws IllegalArgumentException naming the bad name
     */
    public static void requireValidName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("invalid token name \"" + name + "\": use 1 to 63 characters of"
                    + " a-z, 0-9, '_', '.', '-', starting with a letter or digit");
        }
    }

    @Override
    public String toString() {
        return "TokenDirectory[" + path + "]";
    }
}
