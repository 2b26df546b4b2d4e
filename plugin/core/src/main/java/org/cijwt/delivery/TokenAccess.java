package org.cijwt.delivery;

import java.io.IOException;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.cijwt.io.FileOwner;

/**
 * Who may read a container's token files on the host: the task's own host user, and root.
 *
 * <p>Run as root, ci-jwt keeps the directory root's ({@code root:<task group>}, 0550, so only root can
 * change what is in it) and gives each file to the task's user ({@code <task uid>:<task gid>}, 0400).
 * Reading a token on the host then takes the task's uid and membership of its group; inside the container
 * the task has both. Run as another user, ci-jwt cannot give files away: it keeps them itself (directory
 * 0500, files 0400), which serves a task that runs as that same user or as root.
 */
public record TokenAccess(FileOwner reader, FileOwner directoryOwner, Set<PosixFilePermission> directoryMode,
                          FileOwner fileOwner, Set<PosixFilePermission> fileMode) {

    /** Mode of every token file: its owner (the task's user) reads it, nobody else but root. */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("r--------");

    /** Mode of the root-owned directory: the task's group may list and enter it, nobody may change it. */
    public static final Set<PosixFilePermission> ROOT_DIRECTORY_MODE = PosixFilePermissions.fromString("r-xr-x---");

    /** Mode of the directory when ci-jwt runs as the task's own user. */
    public static final Set<PosixFilePermission> OWN_DIRECTORY_MODE = PosixFilePermissions.fromString("r-x------");

    public TokenAccess {
        Objects.requireNonNull(reader, "reader");
        Objects.requireNonNull(directoryOwner, "directoryOwner");
        directoryMode = Set.copyOf(directoryMode);
        Objects.requireNonNull(fileOwner, "fileOwner");
        fileMode = Set.copyOf(fileMode);
    }

    /**
     * The access for a task that runs as host user {@code reader}, given what this process may do.
     *
     * @throws DeliveryException when this process is not root and {@code reader} is neither it nor root
     */
    public static TokenAccess forReader(FileOwner reader) throws DeliveryException {
        FileOwner self;
        try {
            self = FileOwner.ofThisProcess();
        } catch (IOException | UnsupportedOperationException e) {
            throw new DeliveryException("cannot tell which user ci-jwt runs as, so it cannot give the token files to"
                    + " the task's user: " + e.getMessage(), e);
        }
        return forReader(reader, self);
    }

    /** {@link #forReader(FileOwner)} for a process running as {@code self}. */
    static TokenAccess forReader(FileOwner reader, FileOwner self) throws DeliveryException {
        if (self.uid() == 0) {
            return new TokenAccess(reader, new FileOwner(0, reader.gid()), ROOT_DIRECTORY_MODE, reader, FILE_MODE);
        }
        if (reader.uid() == self.uid() || reader.uid() == 0) {
            // Root reads any file; the task's own user reads what it owns.
            return new TokenAccess(reader, self, OWN_DIRECTORY_MODE, self, FILE_MODE);
        }
        throw new DeliveryException("the task runs as host user " + reader + " but ci-jwt runs as uid " + self.uid()
                + ", not root, and cannot give the token files to another user; run pre-flight as root");
    }

    /** The directory's mode while a file is being replaced: its owner may also write. */
    Set<PosixFilePermission> writingMode() {
        Set<PosixFilePermission> writing = EnumSet.copyOf(directoryMode);
        writing.add(PosixFilePermission.OWNER_WRITE);
        return writing;
    }

    @Override
    public String toString() {
        return "directory " + directoryOwner + " " + PosixFilePermissions.toString(directoryMode) + ", files " + fileOwner
                + " " + PosixFilePermissions.toString(fileMode);
    }
}
