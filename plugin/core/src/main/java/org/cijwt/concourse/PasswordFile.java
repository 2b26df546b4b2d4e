package org.cijwt.concourse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.SecureFiles;

/**
 * The Concourse user's password, from a file only its owner may read or write: whoever reads it
 * can see every build of every team the user views. Its first line is the password, kept as written
 * but for the line end.
 */
final class PasswordFile {
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private PasswordFile() {
    }

    /**
     * The password.
     *
     * @throws CiJwtException {@code CJ803} naming the file and the fix; never the content
     */
    static String read(Path file) throws CiJwtException {
        String what = ConcourseSettings.PASSWORD_FILE + " " + file;
        Set<PosixFilePermission> perms;
        String text;
        try {
            // Follows symlinks on purpose: a Kubernetes Secret volume links ..data/<file>.
            perms = Files.getPosixFilePermissions(file);
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CiJwtException(ErrorCode.CONCOURSE_PASSWORD_FILE, what + " does not exist");
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.CONCOURSE_PASSWORD_FILE, what + " cannot be read: " + SecureFiles.reason(e));
        }
        if (perms.stream().anyMatch(OTHERS::contains)) {
            throw new CiJwtException(ErrorCode.CONCOURSE_PASSWORD_FILE, what + " is accessible by group or others ("
                    + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file
                    + " (in Kubernetes set defaultMode: 0400 on the Secret volume)");
        }
        int end = text.indexOf('\n');
        String line = end < 0 ? text : text.substring(0, end);
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        if (line.isEmpty()) {
            throw new CiJwtException(ErrorCode.CONCOURSE_PASSWORD_FILE, what + " is empty: its first line is the password");
        }
        return line;
    }
}
