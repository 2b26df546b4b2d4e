package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cijwt.cli.CliRun.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.cli.CliRun;
import org.cijwt.errors.ExitCode;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.Runc;
import org.cijwt.fixtures.launch.RuncResult;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.TokenVerifier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ci-jwt preflight} end to end, in-process, against real runc containers where they are needed. */
class PreflightCliIT {

    private static final String ISSUER = "https://ci.example.com";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private Path key;
    private Path metadata;
    private Path config;
    private String state;

    @BeforeEach
    void setUp() throws Exception {
        key = TestKeys.copyPrivate(TestKeys.P256, temp);
        metadata = TestKeys.metadataFile("main", temp);
        config = Files.writeString(temp.resolve("preflight.yml"), "issuer: " + ISSUER + "\ntokens:\n"
                + "  - {name: jwt, audiences: [vault], ttl: 10m}\n"
                + "  - {name: aws, audiences: [sts.amazonaws.com], aws: true}\n");
        state = temp.resolve("state").toString();
    }

    private Path plainBundle() throws Exception {
        Path bundle = Files.createDirectories(temp.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), TokenDeliveryTest.TASK_SPEC);
        return bundle;
    }

    @Test
    void preflightThenContainerReadsVerifiableTokensAndCleanupRemovesEverything() throws Exception {
        Assume.runc();
        Path bundle = Runc.bundle(temp.resolve("bundle"), List.of("sh", "-c",
                "echo \"file=$(cat \"$CONCOURSE_CI_JWT_FILE\")\"; echo \"aws=$AWS_WEB_IDENTITY_TOKEN_FILE\""), Map.of());

        CliRun r = run("preflight", "--state-dir", state, "--metadata", metadata.toString(), "--bundle", bundle.toString(),
                "--config", config.toString(), "--keys", key.toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        Path tokenDir = bundle.resolve(TokenDelivery.DEFAULT_TOKEN_DIRECTORY);
        assertThat(r.out()).contains("jwt " + tokenDir.resolve("jwt") + " ES256", "aws " + tokenDir.resolve("aws"));
        RuncResult result = Runc.run(bundle);
        Matcher file = Pattern.compile("^file=(\\S+)$", Pattern.MULTILINE).matcher(result.stdout());
        assertThat(file.find()).as(result.describe()).isTrue();
        assertThat(r.out()).doesNotContain(file.group(1));
        assertThat(result.stdout()).contains("aws=/var/run/secrets/concourse-ci/aws\n");
        KeyRing ring = KeySources.resolve(key.toString(), KeySources.Options.defaults()).load();
        KeyRing published = VerificationKeySource.fromJwks(ring.publicJwksJson(), "JWKS");
        assertThat(new TokenVerifier(() -> published, ISSUER, List.of("vault"), TokenVerifier.DEFAULT_LEEWAY,
                Clock.systemUTC()).verify(file.group(1)).active()).isTrue();

        CliRun cleanup = run("preflight", "--state-dir", state, "--cleanup", "--bundle", bundle.toString());

        assertThat(cleanup.exit()).as(cleanup.err()).isZero();
        assertThat(cleanup.out()).contains("config.json reverted", tokenDir + " removed");
        assertThat(tokenDir).doesNotExist();
        var reverted = JSON.readTree(bundle.resolve("config.json").toFile());
        assertThat(reverted.get("process").get("env")).hasSize(1);
        assertThat(reverted.get("mounts").toString()).doesNotContain(TokenDelivery.DEFAULT_TOKEN_DIRECTORY);
        assertThat(reverted.has("annotations")).isFalse();
    }

    @Test
    void preflightWhenTaskOverridesAVariableThenWarnsOnStderrAndExitsZero() throws Exception {
        Path bundle = plainBundle();
        Files.writeString(bundle.resolve("config.json"), TokenDeliveryTest.TASK_SPEC
                .replace("\"PATH=/bin\"", "\"PATH=/bin\", \"AWS_WEB_IDENTITY_TOKEN_FILE=/mine\""));

        CliRun r = run("preflight", "--state-dir", state, "--metadata", metadata.toString(), "--bundle", bundle.toString(),
                "--config", config.toString(), "--keys", key.toString(), "--token-dir", temp.resolve("t").toString());

        assertThat(r.exit()).isZero();
        assertThat(r.err()).startsWith("ci-jwt: warning: the task already sets AWS_WEB_IDENTITY_TOKEN_FILE");
        assertThat(temp.resolve("t/jwt")).exists();
    }

    @Test
    void preflightWithoutConfigThenOneDefaultTokenWithTheIssuerOption() throws Exception {
        Path bundle = plainBundle();

        CliRun r = run("preflight", "--state-dir", state, "--metadata", metadata.toString(), "--bundle", bundle.toString(),
                "--keys", "ephemeral", "--issuer", "https://other.example");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines()).singleElement().asString().startsWith("jwt ");
        String spec = Files.readString(bundle.resolve("config.json"));
        String token = JSON.readTree(spec).get("process").get("env").get(1).asText().substring("CONCOURSE_CI_JWT=".length());
        String payload = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]));
        assertThat(payload).contains("\"iss\":\"https://other.example\"", "\"aud\":\"ci-jwt\"");
    }

    @Test
    void preflightWhenConfigHasAnUnknownKeyThenOneLineNamingItAndExitOne() throws Exception {
        Path bad = Files.writeString(temp.resolve("bad.yml"), "tokens:\n  - {name: jwt, audience: vault}\n");

        CliRun r = run("preflight", "--state-dir", state, "--metadata", metadata.toString(), "--bundle", plainBundle().toString(),
                "--config", bad.toString(), "--keys", key.toString());

        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err().lines()).singleElement().asString()
                .startsWith("ci-jwt: CJ402 pre-flight config " + bad + ": tokens[0]: unknown key 'audience'");
    }

    @Test
    void preflightWhenBundleMountsTheReservedPathThenExitOneAndNothingChanges() throws Exception {
        Path bundle = plainBundle();
        String conflicting = TokenDeliveryTest.TASK_SPEC.replace("\"source\": \"proc\"}", "\"source\": \"proc\"},"
                + " {\"destination\": \"/var/run/secrets/concourse-ci\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}");
        Files.writeString(bundle.resolve("config.json"), conflicting);

        CliRun r = run("preflight", "--state-dir", state, "--metadata", metadata.toString(), "--bundle", bundle.toString(), "--keys", key.toString());

        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).startsWith("ci-jwt: CJ503 config.json mounts tmpfs at /var/run/secrets/concourse-ci, which is the"
                + " reserved token path");
        assertThat(bundle.resolve("config.json")).hasContent(conflicting);
        assertThat(bundle.resolve(TokenDelivery.DEFAULT_TOKEN_DIRECTORY)).doesNotExist();
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        String bundle = plainBundle().toString();

        assertThat(run("preflight", "--state-dir", state, "--bundle", bundle).err()).contains("--metadata FILE is required");
        assertThat(run("preflight", "--state-dir", state, "--bundle", bundle).exit()).isEqualTo(ExitCode.USAGE);
        assertThat(run("preflight", "--state-dir", state, "--cleanup", "--bundle", bundle, "--metadata", metadata.toString()).exit())
                .isEqualTo(ExitCode.USAGE);
        assertThat(run("preflight", "--state-dir", state, "--bundle", bundle, "--metadata", metadata.toString(), "--pid", "1").exit())
                .isEqualTo(ExitCode.USAGE);
        assertThat(run("preflight", "--state-dir", state, "--metadata", metadata.toString()).exit()).isEqualTo(ExitCode.USAGE);
    }

    @Test
    void watchKeepsRunningUntilTheWatchedProcessExitsThenExitsZero() throws Exception {
        Path bundle = plainBundle();
        Process task = new ProcessBuilder("sleep", "2").start();
        try {
            CompletableFuture<CliRun> watching = CompletableFuture.supplyAsync(() -> run("preflight", "--state-dir", state,
                    "--metadata", metadata.toString(), "--bundle", bundle.toString(), "--keys", key.toString(),
                    "--watch", "--pid", Long.toString(task.pid())));

            Thread.sleep(500);
            assertThat(watching).as("still watching while the process runs").isNotDone();
            CliRun r = watching.get(20, TimeUnit.SECONDS);

            assertThat(task.isAlive()).isFalse();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("watching\n", "process " + task.pid() + " has exited; stopped refreshing");
            assertThat(bundle.resolve(TokenDelivery.DEFAULT_TOKEN_DIRECTORY).resolve("jwt")).exists();
        } finally {
            task.destroyForcibly();
        }
    }

    @Test
    void watchWithAPidFileWaitsForTheFileAndStopsWhenThatProcessIsGone() throws Exception {
        Path bundle = plainBundle();
        Path pidFile = temp.resolve("container.pid");
        CompletableFuture<CliRun> watching = CompletableFuture.supplyAsync(() -> run("preflight", "--state-dir", state,
                "--metadata", metadata.toString(), "--bundle", bundle.toString(), "--keys", key.toString(),
                "--watch", "--pid-file", pidFile.toString()));
        Thread.sleep(Duration.ofSeconds(1).toMillis());
        assertThat(watching).as("waits for the pid file").isNotDone();

        Process task = new ProcessBuilder("true").start();
        task.waitFor();
        Files.writeString(pidFile, task.pid() + "\n");
        CliRun r = watching.get(20, TimeUnit.SECONDS);

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("process " + task.pid() + " has exited");
    }

    @Test
    void preflightWhenTheTokenDirectoryExistsThenCj504ExitOneAndItIsLeftAsItWas() throws Exception {
        Path bundle = plainBundle();
        Path ssh = Files.createDirectory(temp.resolve("ssh"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.writeString(ssh.resolve("id_rsa"), "not-a-real-key");

        CliRun r = run("preflight", "--state-dir", state, "--metadata", metadata.toString(), "--bundle", bundle.toString(),
                "--keys", key.toString(), "--token-dir", ssh.toString());

        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err().lines()).singleElement().asString()
                .isEqualTo("ci-jwt: CJ504 token directory " + ssh + " already exists and ci-jwt did not create it for this"
                        + " container; it was left untouched (give a path that does not exist yet)");
        assertThat(ssh.resolve("id_rsa")).hasContent("not-a-real-key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ssh))).isEqualTo("rwx------");
        assertThat(bundle.resolve("config.json")).hasContent(TokenDeliveryTest.TASK_SPEC);
    }

    @Test
    void cleanupWhenConfigJsonNamesAnotherDirectoryAsTheTokenSourceThenItSurvivesAndNothingIsStripped() throws Exception {
        Path bundle = plainBundle();
        Path victim = Files.createDirectory(temp.resolve("victim"));
        Files.writeString(victim.resolve("id_rsa"), "not-a-real-key");
        String forged = TokenDeliveryTest.TASK_SPEC.replace("\"root\"", "\"annotations\": {\"org.cijwt.preflight\": \"{\\\"version\\\":1,"
                + "\\\"source\\\":\\\"" + victim + "\\\",\\\"destination\\\":\\\"/proc\\\",\\\"env\\\":[\\\"PATH\\\"],"
                + "\\\"created\\\":[]}\"}, \"root\"");
        Files.writeString(bundle.resolve("config.json"), forged);

        CliRun r = run("preflight", "--state-dir", state, "--cleanup", "--bundle", bundle.toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("config.json had no recorded ci-jwt delivery; token directory not present\n");
        assertThat(victim.resolve("id_rsa")).hasContent("not-a-real-key");
        assertThat(bundle.resolve("config.json")).hasContent(forged);
    }

    @Test
    void preflightWhenTheStateDirectoryIsWritableByOthersThenCj505ExitOneAndNothingIsDelivered() throws Exception {
        Path bundle = plainBundle();
        Path open = Files.createDirectory(temp.resolve("open-state"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));

        CliRun r = run("preflight", "--state-dir", open.toString(), "--metadata", metadata.toString(), "--bundle",
                bundle.toString(), "--keys", key.toString());
        CliRun cleanup = run("preflight", "--state-dir", open.toString(), "--cleanup", "--bundle", bundle.toString());

        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).startsWith("ci-jwt: CJ505 state directory " + open + " is writable by group or others");
        assertThat(cleanup.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(bundle.resolve("config.json")).hasContent(TokenDeliveryTest.TASK_SPEC);
        assertThat(bundle.resolve(TokenDelivery.DEFAULT_TOKEN_DIRECTORY)).doesNotExist();
    }

    @Test
    void cleanupWithAnotherTokenDirectoryThanTheRecordedOneThenCj505AndNothingIsRemoved() throws Exception {
        Path bundle = plainBundle();
        assertThat(run("preflight", "--state-dir", state, "--metadata", metadata.toString(), "--bundle", bundle.toString(),
                "--keys", key.toString()).exit()).isZero();

        CliRun r = run("preflight", "--state-dir", state, "--cleanup", "--bundle", bundle.toString(),
                "--token-dir", temp.resolve("elsewhere").toString());

        assertThat(r.exit()).isEqualTo(ExitCode.REJECTED);
        assertThat(r.err()).startsWith("ci-jwt: CJ505 the delivery into " + bundle + " was recorded with token directory");
        assertThat(bundle.resolve(TokenDelivery.DEFAULT_TOKEN_DIRECTORY).resolve("jwt")).exists();
    }

    @Test
    void helpNamesTheStateDirectoryItsDefaultAndWhoCanReadTheFiles() {
        CliRun r = run("preflight", "--help");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--state-dir=DIR", DeliveryRecords.ROOT_DEFAULT_TEXT, "$XDG_RUNTIME_DIR/ci-jwt/preflight",
                "root:<task gid> 0550", "<task uid>:<task gid> 0400", "never what config.json says", "(CJ504)");
    }
}
