package org.cijwt.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module and package rules of README's layout table, checked on the compiled main code of every
 * module (this module's test class path sees them all): no package cycles, the library's core free
 * of the command line and of Vert.x, and the product code free of the demo and the fixtures.
 */
class ArchitectureTest {
    /** The worker-side library: what a worker embeds, with no CLI, no HTTP server and no picocli in it. */
    private static final String[] CORE = {"org.cijwt.claims..", "org.cijwt.config..", "org.cijwt.delivery..",
            "org.cijwt.errors..", "org.cijwt.io..", "org.cijwt.jose..", "org.cijwt.keys..", "org.cijwt.signedconfig..", "org.cijwt.tokens..",
            "org.cijwt.vars.."};

    private static JavaClasses classes;

    @BeforeAll
    static void importMainCode() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                // A packaged test-jar (the fixtures' test kit) is test code too.
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("org.cijwt");
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
