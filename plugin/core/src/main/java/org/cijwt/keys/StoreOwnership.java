package org.cijwt.keys;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.SecureFiles;

/**
 * The embedded store's rule against planted keys: whoever can write the store's directory, or
 * owns a file in it, can choose the key ci-jwt signs with. So the directory must belong to the
 * user ci-jwt runs as and be writable by nobody else, and so must every file ci-jwt uses in it.
 * Each refusal is a {@link ErrorCode#KEY_STORE_UNSAFE} error that says what is wrong and how to
 * fix it.
 */
final class StoreOwnership {
    /** Our uid, or -1 where the file system has no Unix owners (then only permissions are checked). */
    private static final long UID = currentUid();

    private StoreOwnership() {
    }

    /** Refuses a store directory owned by another user or writable by group or others. */
    static void requireSafeDirectory(Path dir) throws CiJwtException {
        PosixFileAttributes attrs = attributes(dir, "key store directory");
        if (attrs == null) {
            return;
        }
        long owner = uid(dir);
        if (UID >= 0 && owner >= 0 && owner != UID) {
            throw new CiJwtException(ErrorCode.KEY_STORE_UNSAFE, "key store directory " + dir + " is owned by uid " + owner
                    + ", not by uid " + UID + " that runs ci-jwt, so that user can put keys in it; use a directory of"
                    + " your own (setting keys), or if you trust its keys run: chown " + UID + " " + dir);
        }
        if (attrs.permissions().contains(PosixFilePermission.GROUP_WRITE)
                || attrs.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new CiJwtException(ErrorCode.KEY_STORE_UNSAFE, "key store directory " + dir + " is writable by group or"
                    + " others (" + PosixFilePermissions.toString(attrs.permissions()) + "), so another user could plant"
                    + " keys in it; run: chmod 700 " + dir + " (and delete " + EmbeddedKeyStore.KEYS_FILE
                    + " in it if you are not sure every key there is yours)");
        }
    }

    /** Refuses a file in the store that another user owns; a file that does not exist passes. */
    static void requireOwnFile(Path file, String what) throws CiJwtException {
        long owner = uid(file);
        if (UID >= 0 && owner >= 0 && owner != UID) {
            throw new CiJwtException(ErrorCode.KEY_STORE_UNSAFE, what + " " + file + " is owned by uid " + owner
                    + ", not by uid " + UID + " that runs ci-jwt, so its keys may have been planted; delete it to let"
                    + " ci-jwt make new keys, or if you made it yourself run: chown " + UID + " " + file);
        }
    }

    private static PosixFileAttributes attributes(Path path, String what) throws CiJwtException {
        try {
            return Files.readAttributes(path, PosixFileAttributes.class);
        } catch (UnsupportedOperationException e) {
            return null;
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "cannot read " + what + " " + path + ": " + SecureFiles.reason(e));
        }
    }

    /** The numeric owner (following symlinks, as reading does), or -1 when it is unknown or the file is gone. */
    private static long uid(Path path) throws CiJwtException {
        if (UID < 0) {
            return -1;
        }
        try {
            return ((Number) Files.getAttribute(path, "unix:uid")).longValue();
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "cannot read the owner of " + path + ": " + SecureFiles.reason(e));
        }
    }

    private static long currentUid() {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("unix")) {
            return -1;
        }
        return new UnixSystem().getUid();
    }
}
