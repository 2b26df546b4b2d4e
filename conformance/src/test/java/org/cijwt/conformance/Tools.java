package org.cijwt.conformance;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cijwt.fixtures.Assume;

/**
 * The relying parties' programs and how each is built; their versions come from the root pom.xml
 * (failsafe passes them as {@code cijwt.tool.*}). Where the module proxy cannot be reached a test
 * skips with the reason, and on CI it fails ({@link Assume#unavailable(String)}).
 */
final class Tools {
    private Tools() {
    }

    /** Sigstore's certificate authority; {@code go install} works as is. */
    static CachedTool fulcio() {
        return CachedTool.install("fulcio", "github.com/sigstore/fulcio", version("fulcio"), Map.of());
    }

    /** Sigstore's signing client (about 3 minutes to build cold on two cores). */
    static CachedTool cosign() {
        return CachedTool.install("cosign", "github.com/sigstore/cosign/v2/cmd/cosign", version("cosign"), Map.of("CGO_ENABLED", "0"));
    }

    /**
     * ORY Hydra. Its go.mod replaces its own client module with a directory, so {@code go install}
     * refuses it; it is built from a copy of the module without that replace, with SQLite (cgo) for
     * the in-memory database.
     */
    static CachedTool hydra() {
        return CachedTool.buildModule("hydra", "github.com/ory/hydra/v2", version("hydra"), ".",
                List.of("github.com/ory/hydra-client-go/v2"), List.of("sqlite", "sqlite_omit_load_extension"),
                Map.of("CGO_ENABLED", "1"));
    }

    /** smallstep's CA; without cgo (the cgo build wants libpcsclite for YubiKeys, which no test uses). */
    static CachedTool stepCa() {
        return CachedTool.install("step-ca", "github.com/smallstep/certificates/cmd/step-ca", version("step"), Map.of("CGO_ENABLED", "0"));
    }

    /** smallstep's CLI, which initialises the CA and asks it for certificates. */
    static CachedTool step() {
        return CachedTool.install("step", "github.com/smallstep/cli/cmd/step", version("step"), Map.of("CGO_ENABLED", "0"));
    }

    /**
     * Keycloak's server distribution (a zip from Maven Central that Maven resolved into the local
     * repository, {@code cijwt.keycloak.dist}), unpacked and built once ({@code kc.sh build}) with
     * the in-memory database and federated client assertions; its {@code kc.sh} needs {@code javaHome},
     * a Java 21 or newer.
     */
    static CachedTool keycloak(Path javaHome) {
        String version = version("keycloak");
        String dist = System.getProperty("cijwt.keycloak.dist", "");
        String home = "keycloak-" + version;
        return new CachedTool("keycloak", version, CachedTool.cacheRoot(), home + "/bin/kc.sh", (bin, work) -> {
            Path zip = Path.of(dist);
            if (dist.isBlank() || !java.nio.file.Files.isRegularFile(zip)) {
                throw new java.io.IOException("no Keycloak distribution at '" + dist + "': run through Maven, which resolves"
                        + " org.keycloak:keycloak-quarkus-dist:zip and passes its path as cijwt.keycloak.dist");
            }
            Path root = bin.getParent();
            Zips.unpack(zip, root);
            Keycloak.build(root.resolve(home).resolve("bin/kc.sh"), javaHome, work);
        });
    }

    /** The tool's executable, built on first use; skips (on CI fails) the test where it cannot be built. */
    static Path require(CachedTool tool) throws Exception {
        try {
            return tool.binary();
        } catch (CachedTool.Unavailable e) {
            Assume.unavailable(tool.name() + " " + tool.version() + " cannot be built here: " + e.getMessage());
            throw new IllegalStateException("unreachable: Assume.unavailable returns only by throwing");
        }
    }

    private static String version(String tool) {
        String v = System.getProperty("cijwt.tool." + tool);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("no version for " + tool + ": run through Maven (failsafe sets cijwt.tool."
                    + tool + " from the root pom.xml)");
        }
        return v;
    }
}
