package org.cijwt.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** Unpacks a distribution zip with the JDK's reader, refusing entries that would land outside the target. */
final class Zips {
    private Zips() {
    }

    /** Unpacks {@code zip} into {@code target}; files under a {@code bin} directory ending in {@code .sh} become executable. */
    static void unpack(Path zip, Path target) throws IOException {
        Path root = target.toAbsolutePath().normalize();
        try (InputStream in = Files.newInputStream(zip); ZipInputStream entries = new ZipInputStream(in)) {
            for (ZipEntry e = entries.getNextEntry(); e != null; e = entries.getNextEntry()) {
                Path out = root.resolve(e.getName()).normalize();
                if (!out.startsWith(root)) {
                    throw new IOException(zip + ": entry " + e.getName() + " would be written outside " + root);
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                    continue;
                }
                Files.createDirectories(out.getParent());
                Files.copy(entries, out, StandardCopyOption.REPLACE_EXISTING);
                if (out.getFileName().toString().endsWith(".sh") && out.getParent().getFileName().toString().equals("bin")) {
                    out.toFile().setExecutable(true, false);
                }
            }
        }
    }
}
