package org.cijwt.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the kernel says of a process, read from {@code /proc} of the agent's own PID namespace:
 * its PID namespace and its start time. A PID alone can be recycled; (PID, start time) read
 * before and after another read of {@code /proc/<pid>} proves that read was of one process.
 */
final class ProcessNamespaces {
    private static final Path PROC = Path.of("/proc");

    private ProcessNamespaces() {
    }

    /**
     * A container's PID namespace, pinned by its init process: while a process with this PID and
     * this start time runs, the namespace lives, so no other namespace can have its inode number.
     */
    record Init(long pid, long startTicks, String pidNamespace) {
        /** Whether the init process read at capture still runs. */
        boolean running() {
            OptionalLong now = ProcessNamespaces.startTicks(pid);
            return now.isPresent() && now.getAsLong() == startTicks;
        }
    }

    /** The init process {@code pid} and its PID namespace, read consistently; empty when it has gone. */
    static Optional<Init> capture(long pid) {
        OptionalLong before = startTicks(pid);
        Optional<String> ns = pidNamespace(pid);
        OptionalLong after = startTicks(pid);
        if (before.isEmpty() || ns.isEmpty() || after.isEmpty() || before.getAsLong() != after.getAsLong()) {
            return Optional.empty();
        }
        return Optional.of(new Init(pid, before.getAsLong(), ns.get()));
    }

    /** This process's PID namespace, as {@code pid:[inode]}. */
    static Optional<String> own() {
        return link(PROC.resolve("self/ns/pid"));
    }

    /**
     * The PID namespace of process {@code pid} as {@code pid:[inode]}, checked to belong to the
     * process that had {@code pid} both before and after it was read; empty when it has gone (or is
     * a zombie, which has no namespace left).
     */
    static Optional<String> pidNamespaceOfLiveProcess(long pid) {
        OptionalLong before = startTicks(pid);
        Optional<String> ns = pidNamespace(pid);
        OptionalLong after = startTicks(pid);
        if (before.isEmpty() || after.isEmpty() || before.getAsLong() != after.getAsLong()) {
            return Optional.empty();
        }
        return ns;
    }

    static Optional<String> pidNamespace(long pid) {
        return link(PROC.resolve(Long.toString(pid)).resolve("ns/pid"));
    }

    /** Field 22 of {@code /proc/<pid>/stat}: when the process started, in clock ticks after boot. */
    static OptionalLong startTicks(long pid) {
        if (pid <= 0) {
            return OptionalLong.empty();
        }
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.US_ASCII);
            // The command name (field 2) is in parentheses and may hold spaces and ')': fields 3 on follow the last ')'.
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return OptionalLong.of(Long.parseLong(rest[22 - 3]));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** The init PID a runtime left in a bundle ({@code init.pid} of containerd's shims, Podman's {@code pidfile}). */
    static OptionalLong initPid(Path bundle) {
        for (String name : Agent.PID_FILES) {
            Path file = bundle.resolve(name);
            try {
                return OptionalLong.of(Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim()));
            } catch (IOException | NumberFormatException e) {
                // Not this runtime's file (or not written yet): try the next name.
            }
        }
        return OptionalLong.empty();
    }

    private static Optional<String> link(Path p) {
        try {
            return Optional.of(Files.readSymbolicLink(p).toString());
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }
}
