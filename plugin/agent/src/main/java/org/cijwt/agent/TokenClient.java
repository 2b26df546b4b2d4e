package org.cijwt.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.FileOwner;
import org.cijwt.io.SecureFiles;

/**
 * The token client a task needs nothing in its image for: the operator's static {@code ci-jwt-runtime}
 * binary, copied once into the agent's state directory (root's, 0555) and hard-linked into the token
 * directory of each container whose profile sets {@code on_request}, beside its {@code token.sock}, so
 * the task runs {@value #IN_CONTAINER}. A hard link costs one system call per container and no
 * mount: the token directory is already mounted read-only into the container, and the link's inode is
 * root's and mode 0555, so no task can change it, on the host or in the container.
 */
final class TokenClient {
    /** The client's name in a token directory. */
    static final String NAME = "ci-jwt-runtime";
    /** Where a task finds it. */
    static final String IN_CONTAINER = "/var/run/secrets/concourse-ci/" + NAME;
    private static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("r-xr-xr-x");

    private TokenClient() {
    }

    /**
     * Copies {@code binary} to {@code clientDir}/{@value #NAME} (replacing an earlier copy atomically) and
     * checks that it can be hard-linked into {@code tokensRoot}, returning the copy.
     *
     * @throws CiJwtException ({@link ErrorCode#SETTING_INVALID}) naming the file when it is not a regular
     *     executable file, is writable by others than its owner, is owned by another user than root or the
     *     agent's, or cannot be linked into the token root (another file system)
     */
    static Path install(Path binary, Path clientDir, Path tokensRoot) throws CiJwtException {
        String what = "--token-client " + binary;
        Path copy = clientDir.resolve(NAME);
        try {
            if (!Files.isRegularFile(binary)) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, what + ": not a regular file");
            }
            Path real = binary.toRealPath();
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(real);
            if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, what + ": writable by its group or others ("
                        + PosixFilePermissions.toString(perms) + "); a binary every task runs must be its owner's alone");
            }
            long owner = FileOwner.of(real).uid();
            long self = FileOwner.ofThisProcess().uid();
            if (owner != 0 && owner != self) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, what + ": owned by uid " + owner + ", not by root or the agent's uid "
                        + self);
            }
            if (!perms.contains(PosixFilePermission.OWNER_EXECUTE)) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, what + ": not executable");
            }
            SecureFiles.createPrivateDirectory(clientDir);
            Path tmp = Files.createTempFile(clientDir, "." + NAME + ".tmp-", "");
            try {
                Files.copy(real, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(tmp, MODE);
                Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            Path probe = tokensRoot.resolve(".client-link-check");
            Files.deleteIfExists(probe);
            try {
                Files.createLink(probe, copy);
            } catch (IOException e) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, what + ": its copy " + copy + " cannot be linked into the token"
                        + " directories under " + tokensRoot + " (" + SecureFiles.reason(e) + "); keep the agent's --state-dir on one"
                        + " file system");
            } finally {
                Files.deleteIfExists(probe);
            }
            return copy;
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, what + ": cannot be copied into " + clientDir + ": " + SecureFiles.reason(e));
        }
    }

    /** Links {@code client} into the (writable, for the moment) token directory {@code dir}; an earlier link is replaced. */
    static Path link(Path client, Path dir) throws IOException {
        Path link = dir.resolve(NAME);
        removeLink(dir);
        Files.createLink(link, client);
        return link;
    }

    /** Removes the client's link from {@code dir} when there is one (a regular file of that name). */
    static void removeLink(Path dir) throws IOException {
        Path link = dir.resolve(NAME);
        if (Files.isRegularFile(link, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(link);
        }
    }
}
