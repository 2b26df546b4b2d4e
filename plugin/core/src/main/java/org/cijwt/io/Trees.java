package org.cijwt.io;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Removal of whole directory trees, including the read-only (0550/0500) token directories pre-flight writes. */
public final class Trees {

    // Owner-only: a directory being emptied needs write permission, and nobody else needs to look in.
    private static final Set<PosixFilePermission> EMPTYING_MODE = PosixFilePermissions.fromString("rwx------");

    private Trees() {
    }

    /**
     * Deletes {@code dir} and everything below it without following symbolic links; a missing
     * {@code dir} is fine. Each directory is made writable before it is emptied, because a read-only
     * directory cannot be emptied by a non-root owner.
     */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                Files.setPosixFilePermissions(d, EMPTYING_MODE);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
