package org.cijwt.delivery.container;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.cijwt.delivery.DeliveryPlan;

/** A root filesystem of one static busybox and the applets the sample tasks use, with the token mount point in place. */
final class BusyboxRootfs {

    /** Where Debian's {@code busybox-static} installs a statically linked busybox. */
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private static final List<String> APPLETS = List.of("sh", "cat", "echo", "test", "[", "sleep", "ls", "wget",
            "sed", "grep", "printf", "rm", "env", "id", "true", "false", "head", "tr", "cut", "base64");
    private static final List<String> DIRECTORIES = List.of("bin", "etc", "tmp", "proc", "sys", "dev", "root",
            DeliveryPlan.CONTAINER_TOKEN_DIR.substring(1));
    private static final int ELF_MAGIC = 0x7f454c46;
    private static final int PT_INTERP = 3;

    private BusyboxRootfs() {
    }

    /** Why {@link #BUSYBOX} cannot make a root filesystem (missing, or dynamically linked), or empty. */
    static Optional<String> problem() throws IOException {
        if (!Files.isRegularFile(BUSYBOX)) {
            return Optional.of(BUSYBOX + " not found: install Debian's busybox-static package");
        }
        if (dynamicallyLinked(BUSYBOX)) {
            return Optional.of(BUSYBOX + " is dynamically linked: install busybox-static instead of busybox");
        }
        return Optional.empty();
    }

    /** Fills {@code rootfs} (created if missing); building over an earlier root filesystem replaces its busybox. */
    static void build(Path rootfs) throws IOException {
        for (String d : DIRECTORIES) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.setPosixFilePermissions(rootfs.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path busybox = rootfs.resolve("bin/busybox");
        Files.copy(BUSYBOX, busybox, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(busybox, PosixFilePermissions.fromString("r-xr-xr-x"));
        for (String applet : APPLETS) {
            Path link = rootfs.resolve("bin").resolve(applet);
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, Path.of("busybox"));
        }
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", StandardCharsets.UTF_8);
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\n", StandardCharsets.UTF_8);
    }

    /** True when the ELF file has a PT_INTERP program header, i.e. would need a loader the rootfs lacks. */
    private static boolean dynamicallyLinked(Path elf) throws IOException {
        try (FileChannel ch = FileChannel.open(elf, StandardOpenOption.READ)) {
            ByteBuffer ident = ByteBuffer.allocate(64);
            ch.read(ident, 0);
            if (ident.position() < 64 || ident.getInt(0) != ELF_MAGIC) {
                throw new IOException(elf + " is not an ELF executable");
            }
            boolean is64 = ident.get(4) == 2;
            ident.order(ident.get(5) == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            long phoff = is64 ? ident.getLong(32) : Integer.toUnsignedLong(ident.getInt(28));
            int phentsize = Short.toUnsignedInt(ident.getShort(is64 ? 54 : 42));
            int phnum = Short.toUnsignedInt(ident.getShort(is64 ? 56 : 44));
            ByteBuffer headers = ByteBuffer.allocate(phentsize * phnum).order(ident.order());
            ch.read(headers, phoff);
            for (int i = 0; i < phnum; i++) {
                if (headers.getInt(i * phentsize) == PT_INTERP) {
                    return true;
                }
            }
            return false;
        }
    }
}
