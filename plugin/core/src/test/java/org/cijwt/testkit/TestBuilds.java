package org.cijwt.testkit;

import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.fixtures.TestKeys;

/** The sample builds of {@code fixtures} as {@link BuildMetadata}, each parsed once (the records are immutable). */
public final class TestBuilds {

    private TestBuilds() {
    }

    /** {@code metadata/main.json}: team main, pipeline deploy (instance var branch=dev), job apply, build 1234. */
    public static BuildMetadata main() {
        return Parsed.MAIN;
    }

    /** {@code metadata/use-vars.json}: the RFC's use-vars pipeline, the Vault example's build. */
    public static BuildMetadata useVars() {
        return Parsed.USE_VARS;
    }

    /** {@code metadata/one-off.json}: a build with no pipeline and no job. */
    public static BuildMetadata oneOff() {
        return Parsed.ONE_OFF;
    }

    private static final class Parsed {
        static final BuildMetadata MAIN = parse("main");
        static final BuildMetadata USE_VARS = parse("use-vars");
        static final BuildMetadata ONE_OFF = parse("one-off");

        private static BuildMetadata parse(String name) {
            try {
                return BuildMetadata.fromJson(TestKeys.metadata(name), name + ".json");
            } catch (CiJwtException e) {
                throw new IllegalStateException("sample metadata " + name + ".json does not parse: " + e.getMessage(), e);
            }
        }
    }
}
