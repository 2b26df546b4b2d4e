package org.cijwt.demo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.io.Trees;

/**
 * The {@code ci-jwt demo} stage for Vault: when OpenBao is installed it runs {@link UseVarsExample}
 * against a throw-away dev server with the demo's keys; otherwise it says how to get OpenBao.
 */
public final class VaultDemoStep implements DemoStep {

    @Override
    public String title() {
        return "Vault: the use-vars pipeline reads its secrets with the build's own token (OpenBao, runc)";
    }

    @Override
    public void run(DemoContext ctx) throws Exception {
        PrintStream out = ctx.out();
        Optional<Path> bao = OpenBaoServer.findBao();
        if (bao.isEmpty()) {
            out.println("   skipped: " + OpenBaoServer.unavailableReason().orElse("no bao binary found"));
            return;
        }
        Path work = Files.createTempDirectory("ci-jwt-demo-vault-");
        try (OpenBaoServer server = OpenBaoServer.start(bao.get())) {
            out.println("   OpenBao dev server (" + bao.get() + "): " + server.address());
            UseVarsExample.Outcome outcome = UseVarsExample.run(
                    new UseVarsExample.Target(server.address(), server.rootToken()), ctx.keyRing(), work, out);
            if (outcome.containersSkipped().isPresent()) {
                out.println("   the secrets resolved; the interpolated use-vars task would run:");
                String config = outcome.tasks().get(0).interpolatedConfig();
                out.println("     | " + config.strip().replace("\n", "\n     | "));
            }
            if (!outcome.passed()) {
                throw new CiJwtException(ErrorCode.VAULT_FAILED, "the use-vars example failed; its container output is above");
            }
            out.println("   use-vars: both test lines passed");
        } finally {
            Trees.deleteRecursively(work);
        }
    }
}
