package org.cijwt.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.fixtures.ProjectPaths;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module rules of {@code docs/design.md}, checked twice: on the Maven graph (which module may
 * depend on which) and on the compiled main code of every product module (which packages and
 * libraries each may use). The examples module is built after this one and is held by the Maven
 * rule alone: nothing of ours depends on it.
 *
 * <p>Only our modules' {@code target/classes} directories are imported, not the test class path:
 * finding {@code org.cijwt} on the class path made ArchUnit open every dependency jar. Classes of
 * other libraries (picocli, Vert.x) are still named by the dependencies of ours, which is all the
 * rules look at.
 */
class ArchitectureTest {
    /** The library a worker embeds: no command line, no HTTP server, no Vault client. */
    private static final String[] CORE = {"org.cijwt.claims..", "org.cijwt.config..", "org.cijwt.delivery..",
            "org.cijwt.errors..", "org.cijwt.io..", "org.cijwt.jose..", "org.cijwt.keys..", "org.cijwt.metrics..",
            "org.cijwt.signedconfig..", "org.cijwt.tokens..", "org.cijwt.vars..", "org.cijwt.concourse.."};
    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
    private static final Pattern ARTIFACT = Pattern.compile("<artifactId>([^<]+)</artifactId>");
    private static final Pattern DEPENDENCY = Pattern.compile(
            "<dependency>\\s*(?:<!--.*?-->\\s*)?<groupId>org\\.cijwt</groupId>\\s*<artifactId>([^<]+)</artifactId>(.*?)</dependency>",
            Pattern.DOTALL);

    /** Which of our modules each module may use in its main code (test scope is free). */
    private static final Map<String, List<String>> ALLOWED = Map.of(
            "fixtures", List.of(),
            "core", List.of(),
            "vault", List.of("core"),
            "agent", List.of("core"),
            "runtime", List.of(),
            "web-endpoint", List.of("core"),
            "cli", List.of("core", "vault", "agent", "web-endpoint"),
            "vault-example", List.of("core", "vault", "agent", "web-endpoint", "fixtures"),
            // The benchmarks: test code only, so every dependency is test scope.
            "bench", List.of(),
            // The relying parties' conformance suite: test code only, like the benchmarks.
            "conformance", List.of());

    /** Modules with no main code, which may run the command line from their tests (test scope). */
    private static final List<String> TEST_ONLY = List.of("bench", "conformance");

    private static Map<String, Path> modules;
    private static JavaClasses classes;

    @BeforeAll
    static void importMainCode() throws IOException {
        modules = modules(ProjectPaths.repoRoot(), new LinkedHashMap<>());
        List<Path> dirs = new ArrayList<>();
        for (Map.Entry<String, Path> m : modules.entrySet()) {
            boolean builtBeforeThis = !m.getKey().equals("vault-example");
            boolean javaModule = Files.isDirectory(m.getValue().resolve("src/main/java"));
            if (builtBeforeThis && javaModule) {
                dirs.add(m.getValue().resolve("target/classes"));
            }
        }
        assertThat(dirs).allSatisfy(dir -> assertThat(dir).as("compiled main code").isDirectory());
        classes = new ClassFileImporter().importPaths(dirs);
    }

    /** Every module the root {@code pom.xml} lists, nested aggregators walked, by artifact id. */
    private static Map<String, Path> modules(Path dir, Map<String, Path> found) throws IOException {
        String pom = Files.readString(dir.resolve("pom.xml"));
        Matcher m = MODULE.matcher(pom);
        boolean aggregator = false;
        while (m.find()) {
            aggregator = true;
            modules(dir.resolve(m.group(1).trim()), found);
        }
        if (!aggregator) {
            found.put(artifactId(pom), dir);
        }
        return found;
    }

    private static String artifactId(String pom) {
        String afterParent = pom.substring(pom.indexOf("</parent>"));
        Matcher a = ARTIFACT.matcher(afterParent);
        assertThat(a.find()).isTrue();
        return a.group(1);
    }

    @Test
    void modulesWhenListedThenEachHasItsRuleAndNothingElseIsThere() {
        assertThat(modules).containsOnlyKeys(ALLOWED.keySet());
    }

    @Test
    void testOnlyModulesWhenListedThenTheyHaveNoMainCode() {
        for (String m : TEST_ONLY) {
            assertThat(modules.get(m).resolve("src/main")).as(m + " ships nothing").doesNotExist();
        }
    }

    @Test
    void mavenGraphWhenReadThenEachModuleUsesOnlyWhatItMayAndNoneButTheAssemblyUsesTheCli() throws IOException {
        for (Map.Entry<String, Path> module : modules.entrySet()) {
            String pom = Files.readString(module.getValue().resolve("pom.xml"));
            Matcher d = DEPENDENCY.matcher(pom);
            while (d.find()) {
                String target = d.group(1);
                boolean testScope = d.group(2).contains("<scope>test</scope>");
                if (!testScope) {
                    assertThat(ALLOWED.get(module.getKey())).as(module.getKey() + " depends on " + target).contains(target);
                }
                if (target.equals("cli") && !(testScope && TEST_ONLY.contains(module.getKey()))) {
                    assertThat(module.getKey()).as("only the assembly (and test-only modules' tests) depend on the command line")
                            .isEqualTo("cli");
                }
            }
        }
    }

    @Test
    void importWhenOnlyOurModulesAreReadThenEveryProductModuleIsThereAndNothingElse() {
        for (String p : List.of("org.cijwt.fixtures.launch", "org.cijwt.tokens", "org.cijwt.web", "org.cijwt.vault",
                "org.cijwt.agent", "org.cijwt.cli")) {
            assertThat(classes.containPackage(p)).as(p).isTrue();
        }
        assertThat(classes).allSatisfy(c -> assertThat(c.getPackageName()).startsWith("org.cijwt"));
        assertThat(classes.stream().map(c -> c.getName())).doesNotContain(ArchitectureTest.class.getName());
    }

    @Test
    void packagesWhenImportedThenNoCycleBetweenThem() {
        slices().matching("org.cijwt.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void coreWhenImportedThenFreeOfCommandLineVertxAndTheOtherModules() {
        noClasses().that().resideInAnyPackage(CORE)
                .should().dependOnClassesThat().resideInAnyPackage("picocli..", "io.vertx..", "io.netty..",
                        "org.cijwt.cli..", "org.cijwt.web..", "org.cijwt.vault..", "org.cijwt.agent..")
                .check(classes);
    }

    @Test
    void picocliWhenImportedThenOnlyInTheCommandLine() {
        noClasses().that().resideOutsideOfPackages("org.cijwt.cli..", "org.cijwt.demo..")
                .should().dependOnClassesThat().resideInAnyPackage("picocli..")
                .check(classes);
    }

    @Test
    void vertxWhenImportedThenOnlyInTheAgentAndTheWebEndpoint() {
        noClasses().that().resideOutsideOfPackages("org.cijwt.agent..", "org.cijwt.web..", "org.cijwt.demo..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "io.netty..")
                .check(classes);
    }

    @Test
    void agentVaultAndWebWhenImportedThenNoneUsesAnother() {
        noClasses().that().resideInAPackage("org.cijwt.agent..")
                .should().dependOnClassesThat().resideInAnyPackage("org.cijwt.vault..", "org.cijwt.web..", "org.cijwt.cli..")
                .check(classes);
        noClasses().that().resideInAPackage("org.cijwt.vault..")
                .should().dependOnClassesThat().resideInAnyPackage("org.cijwt.agent..", "org.cijwt.web..", "org.cijwt.cli..")
                .check(classes);
        noClasses().that().resideInAPackage("org.cijwt.web..")
                .should().dependOnClassesThat().resideInAnyPackage("org.cijwt.agent..", "org.cijwt.vault..", "org.cijwt.cli..")
                .check(classes);
    }

    @Test
    void vaultWhenImportedThenOnlyItsClientSpeaksHttp() {
        noClasses().that().resideInAPackage("org.cijwt.vault..").and().resideOutsideOfPackage("org.cijwt.vault.client..")
                .should().dependOnClassesThat().resideInAPackage("java.net.http..")
                .orShould().dependOnClassesThat().resideInAPackage("javax.net.ssl..")
                .check(classes);
    }

    /** Product code only: fixtures depend on no module of ours, so their launchers read a test CA themselves. */
    @Test
    void pemWhenImportedThenParsedByTheOneReaderInCore() {
        noClasses().that().doNotHaveFullyQualifiedName("org.cijwt.keys.PemReader")
                .and().resideOutsideOfPackage("org.cijwt.fixtures..")
                .should().dependOnClassesThat().resideInAPackage("org.bouncycastle.openssl..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.security.cert.CertificateFactory")
                .check(classes);
    }

    @Test
    void productWhenImportedThenFreeOfDemoAndFixtures() {
        noClasses().that().resideOutsideOfPackages("org.cijwt.demo..", "org.cijwt.fixtures..")
                .should().dependOnClassesThat().resideInAnyPackage("org.cijwt.demo..", "org.cijwt.fixtures..")
                .check(classes);
    }

    @Test
    void fixturesWhenImportedThenDependOnNoModuleOfOurs() {
        noClasses().that().resideInAPackage("org.cijwt.fixtures..")
                .should().dependOnClassesThat(resideInAPackage("org.cijwt..").and(resideOutsideOfPackage("org.cijwt.fixtures..")))
                .check(classes);
    }
}
