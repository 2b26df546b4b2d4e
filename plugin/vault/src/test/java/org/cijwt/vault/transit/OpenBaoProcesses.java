package org.cijwt.vault.transit;

import java.util.concurrent.TimeUnit;
import org.cijwt.fixtures.launch.OpenBaoServer;

/**
 * Pauses and resumes a running OpenBao with SIGSTOP and SIGCONT: the server keeps its state and
 * its port, but answers nothing meanwhile, which is what a hung or overloaded Vault looks like.
 */
final class OpenBaoProcesses {
    private OpenBaoProcesses() {
    }

    /**
     * The {@code bao server} process this JVM started for {@code server}, found by its listen address.
     * The wheel's {@code bao} may be a Python launcher whose child is the server, and both carry the
     * arguments: the server is the matching process with no matching descendant (pausing the
     * launcher alone would leave the server answering).
     */
    static ProcessHandle of(OpenBaoServer server) {
        String listen = "127.0.0.1:" + server.address().getPort();
        java.util.function.Predicate<ProcessHandle> serving =
                p -> p.info().commandLine().map(c -> c.contains("server") && c.contains(listen)).orElse(false);
        return ProcessHandle.current().descendants()
                .filter(serving)
                .filter(p -> p.descendants().noneMatch(serving))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no bao process listening on " + listen + " among this JVM's children"));
    }

    static void pause(ProcessHandle process) throws Exception {
        signal("STOP", process);
    }

    static void resume(ProcessHandle process) throws Exception {
        signal("CONT", process);
    }

    private static void signal(String name, ProcessHandle process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + name + " " + process.pid() + " failed");
        }
    }
}
