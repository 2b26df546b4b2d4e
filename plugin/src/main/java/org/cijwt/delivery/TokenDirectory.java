package org.cijwt.delivery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.cijwt.io.SecureFiles;
import org.cijwt.io.Trees;

/**
 * A per-container host directory of token files: files 0444, the directory 0555 between writes,
 * each file replaced by an atomic rename so a container reading it never sees half a token.
 *
 * <p>The directory, not the files, is bind-mounted into the container, because a bind mount of a
 * single file keeps pointing at the old inode after a rename and would never see a refresh.
 */
public final class TokenDirectory {

    /** Mode of the directory while nobody is writing. */
    public static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("r-xr-xr-x");

    /** Mode of every token file. */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("r--r--r--");

    // Only the owner may write, and only during a write.
    private static final Set<PosixFilePermission> WRITING_MODE = PosixFilePermissions.fromString("rwxr-xr-x");

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");

    private final Path path;

    private TokenDirectory(Path path) {
        this.path = path;
    }

    /**
     * Opens {@code dir} as a token directory, creating it (and its parents) if missing.
     *
     * @throws IOException when {@code dir} exists but is not a real directory (a symbolic link is refused)
     */
    public static TokenDirectory create(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath().normalize();
        if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(absolute, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("token directory " + absolute + " exists and is not a directory");
            }
        } else {
            Path parent = absolute.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.createDirectory(absolute);
        }
        // Set explicitly: the mode given at creation is filtered by the umask.
        Files.setPosixFilePermissions(absolute, DIRECTORY_MODE);
        return new TokenDirectory(absolute);
    }

    /** The absolute host path of the directory. */
    public Path path() {
        return path;
    }

    /** The host path of the token file called {@code name}. */
    public Path file(String name) {
        requireValidName(name);
        return path.resolve(name);
    }

    /**
     * Writes (or atomically replaces) the token file {@code name} with {@code token}, mode 0444.
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
        Files.setPosixFilePermissions(path, WRITING_MODE);
        try {
            SecureFiles.replace(target, token.getBytes(StandardCharsets.UTF_8), FILE_MODE);
        } finally {
            Files.setPosixFilePermissions(path, DIRECTORY_MODE);
        }
        return target;
    }

    /**
     * Removes token files whose names are not in {@code names}, so that running pre-flight again
     * with fewer tokens does not leave a stale token readable in the container.
     *
     * @return the names removed
     */
    public synchronized java.util.List<String> retainOnly(Set<String> names) throws IOException {
        java.util.List<String> stale = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.list(path)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (!names.contains(name) && Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    stale.add(name);
                }
            }
        }
        if (stale.isEmpty()) {
            return stale;
        }
        Files.setPosixFilePermissions(path, WRITING_MODE);
        try {
            for (String name : stale) {
                Files.deleteIfExists(path.resolve(name));
            }
        } finally {
            Files.setPosixFilePermissions(path, DIRECTORY_MODE);
        }
        return stale;
    }

    /** Removes the directory and everything in it; a missing directory is fine. */
    public synchronized void delete() throws IOException {
        Trees.deleteRecursively(path);
    }

    /**
     * Removes a token directory left by an earlier process (the clean-up after a container), if present.
     *
     * <p>Because the path may come from a container's {@code config.json}, only a real directory holding
     * nothing but files is removed; anything else is refused rather than deleted recursively.
     *
     * @return whether there was a directory to remove
     * @throws IOException naming the path when it is not a token directory or cannot be removed
     */
    public static boolean removeExisting(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath().normalize();
        if (!Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        if (!Files.isDirectory(absolute, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(absolute + " is not a token directory (not a directory); it was left in place");
        }
        try (var entries = Files.list(absolute)) {
            Optional<Path> foreign = entries.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).findFirst();
            if (foreign.isPresent()) {
                throw new IOException(absolute + " is not a token directory (it contains the directory "
                        + foreign.get().getFileName() + "); it was left in place");
            }
        }
        new TokenDirectory(absolute).delete();
        return true;
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
