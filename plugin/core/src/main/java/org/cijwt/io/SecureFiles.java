package org.cijwt.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/** File writes that never leave a half-written file, and the permission rules for private keys. */
public final class SecureFiles {
    public static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> PUBLIC_READ = PosixFilePermissions.fromString("rw-r--r--");
    public static final Set<PosixFilePermission> READ_ONLY = PosixFilePermissions.fromString("r--r--r--");

    private SecureFiles() {
    }

    /**
     * How far a {@link #replace replacement} reaches before it returns. Either way a reader sees the
     * old file or the new one, never a part of one, and a crash of this process (SIGKILL included)
     * loses nothing: the kernel keeps what was written. The difference is a crash of the machine.
     */
    public enum Durability {
        /** The file and the rename are forced to disk (two fsyncs): they survive a power cut. */
        SYNCED,
        /**
         * Nothing is forced: after a power cut the file may be the old one, the new one, or (on a
         * file system that does not order data before a rename) empty. For what only matters while
         * the machine runs, such as a container's token files and records the agent can undo from a
         * synced write-ahead record.
         */
        ATOMIC
    }

    /**
     * Writes to a temporary file in the same directory with the final permissions already set,
     * forces it to disk and renames it over the target, so readers see the old or the new file,
     * never a part of one. Missing parent directories are created.
     */
    public static void writeAtomically(Path target, byte[] content, Set<PosixFilePermission> perms) throws CiJwtException {
        writeAtomically(target, content, perms, Durability.SYNCED);
    }

    /** {@link #writeAtomically(Path, byte[], Set)}, forced to disk or not as {@code durability} says. */
    public static void writeAtomically(Path target, byte[] content, Set<PosixFilePermission> perms, Durability durability)
            throws CiJwtException {
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            replace(target, content, perms, null, durability);
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "cannot write " + target + ": " + reason(e));
        }
    }

    /**
     * The one atomic write everything else uses: a temp file beside {@code target} (created 0600, so
     * content that may be secret is never readable by others), written and forced to disk, given
     * {@code perms}, renamed over {@code target}, and then the directory is forced so the rename
     * itself survives a crash.
     *
     * <p>The temp file lives in the same directory because rename is only atomic within one file
     * system. The exception's message names the file, never the content.
     */
    public static void replace(Path target, byte[] content, Set<PosixFilePermission> perms) throws IOException {
        replace(target, content, perms, null);
    }

    /**
     * {@link #replace(Path, byte[], Set)}, with the temp file given to {@code owner} before it is renamed,
     * so the file appears with its final owner and mode at once; {@code null} keeps this process's ids.
     */
    public static void replace(Path target, byte[] content, Set<PosixFilePermission> perms, FileOwner owner)
            throws IOException {
        replace(target, content, perms, owner, Durability.SYNCED);
    }

    /**
     * {@link #replace(Path, byte[], Set, FileOwner)}, forced to disk or not as {@code durability} says.
     */
    public static void replace(Path target, byte[] content, Set<PosixFilePermission> perms, FileOwner owner,
                               Durability durability) throws IOException {
        boolean sync = durability == Durability.SYNCED;
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(PRIVATE));
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                if (sync) {
                    ch.force(true);
                }
            }
            if (owner != null) {
                owner.applyTo(tmp);
            }
            Files.setPosixFilePermissions(tmp, perms);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            if (sync) {
                syncDirectory(dir);
            }
        } finally {
            if (!moved) {
                deleteTemp(tmp);
            }
        }
    }

    /** Whether {@code fileName} is a temp file {@link #replace} makes for {@code targetName}, as a crash may leave it. */
    public static boolean isTempFileOf(String fileName, String targetName) {
        return fileName.startsWith("." + targetName + ".") && fileName.endsWith(".tmp")
                && fileName.length() > targetName.length() + ".".length() * 2 + ".tmp".length();
    }

    /** Makes a rename durable; Linux allows fsync on a directory opened for reading, some systems do not. */
    static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // The rename has happened; only its durability across a power cut is less certain here.
            System.getLogger(SecureFiles.class.getName()).log(System.Logger.Level.DEBUG,
                    "cannot sync directory " + dir + ": " + reason(e));
        }
    }

    private static void deleteTemp(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException cleanup) {
            // The temp file name starts with a dot and ends in .tmp; leaving it is harmless.
            System.getLogger(SecureFiles.class.getName()).log(System.Logger.Level.DEBUG,
                    "cannot remove temporary file " + tmp, cleanup);
        }
    }

    public static void writeAtomically(Path target, String content, Set<PosixFilePermission> perms) throws CiJwtException {
        writeAtomically(target, content.getBytes(StandardCharsets.UTF_8), perms);
    }

    /** Reads a file that holds private key material, refusing it when group or others may read it. */
    public static String readPrivate(Path file, String what) throws CiJwtException {
        requirePrivatePermissions(file, what);
        return read(file, what);
    }

    public static String read(Path file, String what) throws CiJwtException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, what + " " + file + " does not exist");
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, what + " " + file + " cannot be read: " + reason(e));
        }
    }

    public static void requirePrivatePermissions(Path file, String what) throws CiJwtException {
        Set<PosixFilePermission> perms;
        try {
            // Follows symlinks on purpose: a Kubernetes Secret volume links ..data/<file>.
            perms = Files.getPosixFilePermissions(file);
        } catch (NoSuchFileException e) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, what + " " + file + " does not exist");
        } catch (UnsupportedOperationException e) {
            return;
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, what + " " + file + " cannot be read: " + reason(e));
        }
        if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)
                || perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new CiJwtException(ErrorCode.KEY_FILE_PERMISSIONS, what + " " + file + " is accessible by group or others ("
                    + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file
                    + " (in Kubernetes set defaultMode: 0400 on the Secret volume)");
        }
    }

    /** Creates a directory only its owner can enter, as the embedded key store needs. */
    public static void createPrivateDirectory(Path dir) throws CiJwtException {
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir.toAbsolutePath().getParent());
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (FileAlreadyExistsException raced) {
                    // Another process created it first; its permissions are checked by the caller.
                    return;
                }
            }
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "cannot create directory " + dir + ": " + reason(e));
        }
    }

    public static String reason(IOException e) {
        String name = e.getClass().getSimpleName();
        return switch (name) {
            case "AccessDeniedException" -> "permission denied";
            case "NoSuchFileException" -> "no such file or directory";
            case "NotDirectoryException" -> "not a directory";
            case "FileSystemException" -> e.getMessage() == null ? "file system error" : e.getMessage();
            default -> e.getMessage() == null ? name : e.getMessage();
        };
    }
}
