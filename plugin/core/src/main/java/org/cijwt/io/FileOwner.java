package org.cijwt.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * A numeric host user and group, as a file's owner or a process's effective ids.
 *
 * <p>Numeric on purpose: the users a container runs as often have no name on the host.
 */
public record FileOwner(long uid, long gid) {

    /**
     * The largest id: Linux ids are unsigned 32-bit, and (uid_t) -1 means "no change" to chown.
     * Concourse runs unprivileged tasks as 4294967294, the root of their user namespace.
     */
    public static final long MAX_ID = 0xFFFF_FFFEL;

    /** Root: ids 0 and 0. */
    public static final FileOwner ROOT = new FileOwner(0, 0);

    public FileOwner {
        if (uid < 0 || gid < 0 || uid > MAX_ID || gid > MAX_ID) {
            throw new IllegalArgumentException("user and group ids must be 0 to " + MAX_ID + ", not " + uid + ":" + gid);
        }
    }

    /**
     * The effective user and group of this process, read from the owner of {@code /proc/self}.
     *
     * @throws IOException when the ids cannot be told (not Linux)
     */
    public static FileOwner ofThisProcess() throws IOException {
        return of(Path.of("/proc/self"));
    }

    /** Whether this process runs as root and so may give files to any user. */
    public static boolean thisProcessIsRoot() {
        try {
            return ofThisProcess().uid() == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** The owner of {@code path} itself (a symbolic link is not followed). */
    public static FileOwner of(Path path) throws IOException {
        try {
            // Java's attributes are signed ints: 4294967294 reads as -2.
            int uid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int gid = (Integer) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            return new FileOwner(Integer.toUnsignedLong(uid), Integer.toUnsignedLong(gid));
        } catch (UnsupportedOperationException e) {
            throw new IOException("cannot tell the owner of " + path + " on this file system", e);
        }
    }

    /** Gives {@code path} itself (never the target of a symbolic link) to this owner. */
    public void applyTo(Path path) throws IOException {
        try {
            // The same 32 bits as an int, which chown(2) takes as the unsigned id.
            Files.setAttribute(path, "unix:uid", (int) uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", (int) gid, LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException e) {
            throw new IOException("cannot change the owner of " + path + " on this file system", e);
        }
    }

    @Override
    public String toString() {
        return uid + ":" + gid;
    }
}
