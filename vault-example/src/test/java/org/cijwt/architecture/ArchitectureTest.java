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
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.fixtures.ProjectPaths;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module and package rules of README's layout table, checked on the compiled main code of every
 * module: no package cycles, the library's core free of the command line and of Vert.x, and the
 * product code free of the demo and the fixtures.
 *
 * <p>Only our modules' {@code target/classes} directories are imported (the modules the root
 * {@code pom.xml} lists), not the test class path: finding {@code org.cijwt} on the class path made
 * ArchUnit open every dependency jar, which took most of this test's time. Classes of other
 * libraries (picocli, Vert.x) are still named by the dependencies of ours, which is all the rules
 * look at.
 */
class ArchitectureTest {
    /** The worker-side library: what a worker embeds, with no CLI, no HTTP server and no picocli in it. */
    private static final String[] CORE = {"org.cijwt.claims..", "org.cijwt.config..", "org.cijwt.delivery..",
            "org.cijwt.errors..", "org.cijwt.io..", "org.cijwt.jose..", "org.cijwt.keys..", "org.cijwt.signedconfig..", "org.cijwt.tokens..",
            "org.cijwt.vars.."};
    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");

    private static JavaClasses classes;

    @BeforeAll
    static void importMainCode() throws IOException {
        classes = new ClassFileImporter().importPaths(mainClassDirectories());
    }

    /** {@code <module>/target/classes} of every module in the root {@code pom.xml}; the build has compiled them all before this test runs. */
    static List<Path> mainClassDirectories() throws IOException {
        Path root = ProjectPaths.repoRoot();
        List<Path> dirs = new ArrayList<>();
        Matcher m = MODULE.matcher(Files.readString(root.resolve("pom.xml")));
        while (m.find()) {
            dirs.add(root.resolve(m.group(1).trim()).resolve("target").resolve("classes"));
        }
        assertThat(dirs).as("modules listed in " + root.resolve("pom.xml")).hasSizeGreaterThanOrEqualTo(4)
                .allSatisfy(dir -> assertThat(dir).as("compiled main code").isDirectory());
        return dirs;
    }

    @Test
    void importWhenOnlyOurModulesAreReadThenEveryModuleIsThereAndNothingElse() {
        assertThat(classes.containPackage("org.cijwt.fixtures.launch")).isTrue();
        assertThat(classes.containPackage("org.cijwt.tokens")).isTrue();
        assertThat(classes.containPackage("org.cijwt.web")).isTrue();
        assertThat(classes.containPackage("org.cijwt.vault")).isTrue();
        assertThat(classes).allSatisfy(c -> assertThat(c.getPackageName()).startsWith("org.cijwt"));
        assertThat(classes.stream().map(c -> c.getName())).doesNotContain(ArchitectureTest.class.getName());
    }

    @Test
    void packagesWhenImportedThenNoCycleBetweenThem() {
        slices().matching("org.cijwt.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void coreWhenImportedThenFreeOfCommandLineVertxAndWeb() {
        noClasses().that().resideInAnyPackage(CORE)
                .should().dependOnClassesThat().resideInAnyPackage("org.cijwt.cli..", "picocli..", "io.vertx..",
                        "org.cijwt.web..", "org.cijwt.vault..")
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

    @Test
    void webWhenImportedThenFreeOfTheCommandLineInternalsAndVault() {
        noClasses().that().resideInAPackage("org.cijwt.web..")
                .should().dependOnClassesThat().resideInAnyPackage("org.cijwt.vault..")
                .check(classes);
    }
}
