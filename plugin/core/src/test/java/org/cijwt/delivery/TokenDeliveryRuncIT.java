package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.launch.BusyboxRootfs;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.MutableClock;
import org.cijwt.fixtures.RelyingParties;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.io.FileOwner;
import org.cijwt.fixtures.launch.Runc;
import org.cijwt.fixtures.launch.RuncContainer;
import org.cijwt.fixtures.launch.RuncResult;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.TokenVerifier;
import org.cijwt.tokens.Verification;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pre-flight into real runc containers on the busybox rootfs: the task reads what pre-flight delivered. */
class TokenDeliveryRuncIT {

    private static final String ISSUER = "https://ci.example.com";
    private static final Pattern VAR = Pattern.compile("^var=(\\S+)$", Pattern.MULTILINE);
    private static final Pattern FILE = Pattern.compile("^file=(\\S+)$", Pattern.MULTILINE);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Prints the token from the variable and from the file, then tries to overwrite the file. */
    private static final String PRINT_AND_TAMPER = String.join("; ",
            "echo \"var=$CONCOURSE_CI_JWT\"",
            "echo \"file=$(cat \"$CONCOURSE_CI_JWT_FILE\")\"",
            "echo \"path=$CONCOURSE_CI_JWT_FILE\"",
            "if echo tampered > \"$CONCOURSE_CI_JWT_FILE\"; then echo write=allowed; else echo write=refused; fi");

    @TempDir
    Path temp;

    private KeyRing ring;
    private BuildMetadata metadata;
    private Path bundle;
    private Path tokenDir;
    private DeliveryRecords records;

    @BeforeEach
    void setUp() throws Exception {
        Assume.runc();
        ring = KeySources.resolve(TestKeys.copyPrivate(TestKeys.P256, temp).toString(), KeySources.Options.defaults()).load();
        metadata = BuildMetadata.fromJsonFile(TestKeys.metadataFile("main", temp));
        bundle = temp.resolve("bundle");
        tokenDir = temp.resolve("tokens");
        records = DeliveryRecords.open(temp.resolve("state"));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (bundle != null && Files.exists(bundle.resolve("config.json"))) {
            TokenDelivery.cleanup(records, bundle);
        }
    }

    private static TokenProfile config(String yaml) throws CiJwtException {
        return TokenProfile.parse(yaml, "test config");
    }

    private static TokenProfile vaultOnly() throws CiJwtException {
        return config("issuer: " + ISSUER + "\ntokens:\n  - {name: jwt, audiences: [vault], ttl: 10m}\n");
    }

    private Verification verify(String token, String audience, Clock clock) throws CiJwtException {
        KeyRing published = VerificationKeySource.fromJwks(ring.publicJwksJson(), "published JWKS");
        return new TokenVerifier(() -> published, ISSUER, List.of(audience), TokenVerifier.DEFAULT_LEEWAY, clock).verify(token);
    }

    private static String group(Pattern pattern, RuncResult result) {
        Matcher m = pattern.matcher(result.stdout());
        assertThat(m.find()).as(result.describe()).isTrue();
        return m.group(1);
    }

    @Test
    void taskPrintsItsTokenFromTheVariableAndTheFileAndBothVerifyWithThePublicJwks() throws Exception {
        Runc.bundle(bundle, List.of("sh", "-c", PRINT_AND_TAMPER), Map.of());
        TokenDelivery.Delivery delivery = new TokenDelivery(() -> ring, Clock.systemUTC(), records)
                .deliver(metadata, vaultOnly(), tokenDir, bundle);

        RuncResult result = Runc.run(bundle);

        assertThat(result.exitCode()).as(result.describe()).isZero();
        String fromVariable = group(VAR, result);
        String fromFile = group(FILE, result);
        assertThat(fromVariable).isEqualTo(fromFile).isEqualTo(delivery.defaultToken().compact());
        for (String token : List.of(fromVariable, fromFile)) {
            Verification v = verify(token, "vault", Clock.systemUTC());
            assertThat(v.active()).as(v.toString()).isTrue();
            assertThat(((Verification.Accepted) v).claims().getStringClaim("pipeline")).isEqualTo(metadata.pipeline());
        }
        assertThat(result.stdout()).contains("path=/var/run/secrets/concourse-ci/jwt\n");
        assertThat(result.stdout()).as(result.describe()).contains("write=refused\n");
        assertThat(result.stderr()).contains("Read-only file system");
        assertThat(tokenDir.resolve("jwt")).hasContent(fromFile);
    }

    @Test
    void tokenReadInsideTheContainerIsAcceptedByAnIndependentPythonVerifier() throws Exception {
        RelyingParties.assumePythonTools();
        Runc.bundle(bundle, List.of("sh", "-c", PRINT_AND_TAMPER), Map.of());
        new TokenDelivery(() -> ring, Clock.systemUTC(), records).deliver(metadata, vaultOnly(), tokenDir, bundle);
        Path jwks = Files.writeString(temp.resolve("jwks.json"), ring.publicJwksJson());

        RuncResult result = Runc.run(bundle);

        String fromFile = group(FILE, result);
        String claims = RelyingParties.verifyWithCryptography(jwks, ISSUER, "vault", fromFile).assertAccepted();
        assertThat(claims).contains("\"team\"", metadata.team());
    }

    @Test
    void refreshedTokenBecomesVisibleInsideTheRunningContainer() throws Exception {
        // Bounded: 150 reads at 0.2 s is 30 s at most, then the container ends by itself.
        Runc.bundle(bundle, List.of("sh", "-c", "i=0; while [ $i -lt 150 ]; do echo \"file=$(cat \"$CONCOURSE_CI_JWT_FILE\")\";"
                + " sleep 0.2; i=$((i+1)); done"), Map.of());
        MutableClock clock = new MutableClock(Instant.now());
        TokenProfile config = config("issuer: " + ISSUER + "\ntokens:\n  - {name: jwt, audiences: [vault], ttl: 1m}\n");
        TokenDelivery preflight = new TokenDelivery(() -> ring, clock, records);
        TokenDelivery.Delivery delivery = preflight.deliver(metadata, config, tokenDir, bundle);
        ManualScheduler scheduler = new ManualScheduler(clock);

        try (RuncContainer container = Runc.start(bundle);
             TokenRefresher refresher = preflight.refresher(delivery, config, scheduler, TokenRefresher.Listener.LOGGING)) {
            refresher.start(delivery.tokens());
            String first = delivery.defaultToken().compact();
            assertThat(container.awaitStdout("file=" + first + "\n", Duration.ofSeconds(10)))
                    .as("first token inside; stderr: %s", container.stderr()).isTrue();

            scheduler.advance(Duration.ofSeconds(48));

            String second = refresher.current().get("jwt").compact();
            assertThat(second).isNotEqualTo(first);
            assertThat(container.awaitStdout("file=" + second + "\n", Duration.ofSeconds(10)))
                    .as("refreshed token inside").isTrue();
            assertThat(container.isRunning()).isTrue();
            assertThat(container.stdout()).doesNotContain("file=\n");
            assertThat(verify(second, "vault", clock).active()).isTrue();
        }
    }

    @Test
    void conflictingMountIsRefusedWithAMessageNamingBothMounts() throws Exception {
        Runc.bundle(bundle, List.of("sh", "-c", "true"), Map.of());
        Path config = bundle.resolve("config.json");
        ObjectNode spec = (ObjectNode) JSON.readTree(config.toFile());
        ObjectNode mount = ((ArrayNode) spec.get("mounts")).addObject();
        mount.put("destination", "/var/run/secrets/concourse-ci/jwt");
        mount.put("type", "bind");
        mount.put("source", "/etc/hostname");
        Files.writeString(config, JSON.writeValueAsString(spec));
        String before = Files.readString(config);

        assertThatThrownBy(() -> new TokenDelivery(() -> ring, Clock.systemUTC(), records).deliver(metadata, vaultOnly(), tokenDir, bundle))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.MOUNT_CONFLICT))
                .hasMessage("config.json mounts /etc/hostname at /var/run/secrets/concourse-ci/jwt, which is inside the"
                        + " reserved token path /var/run/secrets/concourse-ci where ci-jwt mounts " + tokenDir.toAbsolutePath());
        assertThat(config).hasContent(before);
        assertThat(tokenDir).doesNotExist();
    }

    @Test
    void taskVariableThatSetsOneOfOurNamesWinsInsideAndTheWarningNamesIt() throws Exception {
        Runc.bundle(bundle, List.of("sh", "-c", PRINT_AND_TAMPER), Map.of("CONCOURSE_CI_JWT", "task-own-value"));

        TokenDelivery.Delivery delivery = new TokenDelivery(() -> ring, Clock.systemUTC(), records)
                .deliver(metadata, vaultOnly(), tokenDir, bundle);
        RuncResult result = Runc.run(bundle);

        assertThat(delivery.warnings()).singleElement().satisfies(w -> {
            assertThat(w.variable()).isEqualTo("CONCOURSE_CI_JWT");
            assertThat(w.message()).contains("CONCOURSE_CI_JWT").contains("its own value is kept");
        });
        assertThat(group(VAR, result)).isEqualTo("task-own-value");
        assertThat(group(FILE, result)).isEqualTo(delivery.defaultToken().compact());
    }

    @Test
    void awsTokenSetsAwsWebIdentityTokenFileToAReadableFileForTheStsAudience() throws Exception {
        Runc.bundle(bundle, List.of("sh", "-c",
                "echo \"aws_path=$AWS_WEB_IDENTITY_TOKEN_FILE\"; echo \"aws=$(cat \"$AWS_WEB_IDENTITY_TOKEN_FILE\")\";"
                        + " ls " + DeliveryPlan.CONTAINER_TOKEN_DIR), Map.of());
        TokenProfile config = config("issuer: " + ISSUER + "\ntokens:\n"
                + "  - {name: jwt, audiences: [vault]}\n"
                + "  - {name: aws, audiences: [sts.amazonaws.com], ttl: 15m, aws: true}\n");

        new TokenDelivery(() -> ring, Clock.systemUTC(), records).deliver(metadata, config, tokenDir, bundle);
        RuncResult result = Runc.run(bundle);

        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.stdout()).contains("aws_path=/var/run/secrets/concourse-ci/aws\n", "aws\njwt\n");
        Matcher aws = Pattern.compile("^aws=(\\S+)$", Pattern.MULTILINE).matcher(result.stdout());
        assertThat(aws.find()).as(result.describe()).isTrue();
        assertThat(verify(aws.group(1), "sts.amazonaws.com", Clock.systemUTC()).active()).isTrue();
        assertThat(verify(aws.group(1), "vault", Clock.systemUTC()).active()).isFalse();
    }

    @Test
    void afterCleanupTheContainerHasNeitherTheMountNorTheVariables() throws Exception {
        Runc.bundle(bundle, List.of("sh", "-c", "echo \"var=${CONCOURSE_CI_JWT:-unset}\"; ls -A "
                + DeliveryPlan.CONTAINER_TOKEN_DIR), Map.of());
        new TokenDelivery(() -> ring, Clock.systemUTC(), records).deliver(metadata, vaultOnly(), tokenDir, bundle);

        TokenDelivery.cleanup(records, bundle);
        RuncResult result = Runc.run(bundle);

        assertThat(result.stdout()).as(result.describe()).isEqualTo("var=unset\n");
        assertThat(tokenDir).doesNotExist();
    }

    /** Sets the task's user, and with {@code hostIdBase} a user namespace mapping container ids 0-65535 from there. */
    private void runAs(int uid, int gid, Integer hostIdBase) throws Exception {
        Path config = bundle.resolve("config.json");
        ObjectNode spec = (ObjectNode) JSON.readTree(config.toFile());
        ((ObjectNode) spec.get("process")).putObject("user").put("uid", uid).put("gid", gid);
        // The shared root file system's top directory is 0700, fine for root only: this task gets its own.
        Path rootfs = BusyboxRootfs.build(temp.resolve("rootfs"));
        Files.setPosixFilePermissions(rootfs, PosixFilePermissions.fromString("rwxr-xr-x"));
        ((ObjectNode) spec.get("root")).put("path", rootfs.toString());
        if (hostIdBase != null) {
            // The container's root, a host user of the namespace's own, must be able to find its root file system.
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwx--x--x"));
            ObjectNode linux = (ObjectNode) spec.get("linux");
            ((ArrayNode) linux.get("namespaces")).addObject().put("type", "user");
            linux.putArray("uidMappings").addObject().put("containerID", 0).put("hostID", hostIdBase).put("size", 65536);
            linux.putArray("gidMappings").addObject().put("containerID", 0).put("hostID", hostIdBase).put("size", 65536);
            // A cgroup v1 hierarchy cannot be mounted from a new user namespace; the task does not need it.
            ArrayNode mounts = (ArrayNode) spec.get("mounts");
            for (int i = mounts.size() - 1; i >= 0; i--) {
                if ("cgroup".equals(mounts.get(i).path("type").asText())) {
                    mounts.remove(i);
                }
            }
        }
        Files.writeString(config, JSON.writeValueAsString(spec));
    }

    /** Runs {@code command} on the host as {@code uid:gid} with no other groups, as another local user would. */
    private static ProcessResult asHostUser(int uid, int gid, String... command) throws Exception {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups"));
        argv.addAll(List.of(command));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return new ProcessResult(p.exitValue(), out);
    }

    private record ProcessResult(int exit, String output) {
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void taskRunningAsUid1000ReadsItsTokenAndNoOtherHostUserCan() throws Exception {
        Runc.bundle(bundle, List.of("sh", "-c", "echo \"uid=$(id -u)\"; " + PRINT_AND_TAMPER), Map.of());
        runAs(1000, 1000, null);
        TokenDelivery.Delivery delivery = new TokenDelivery(() -> ring, Clock.systemUTC(), records)
                .deliver(metadata, vaultOnly(), tokenDir, bundle);

        RuncResult result = Runc.run(bundle);

        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.stdout()).contains("uid=1000\n", "write=refused\n");
        assertThat(group(FILE, result)).isEqualTo(delivery.defaultToken().compact());
        assertThat(verify(group(FILE, result), "vault", Clock.systemUTC()).active()).isTrue();

        // On the host: the directory is root's, the file the task user's alone.
        assertThat(FileOwner.of(tokenDir)).isEqualTo(new FileOwner(0, 1000));
        assertThat(mode(tokenDir)).isEqualTo("r-xr-x---");
        assertThat(FileOwner.of(tokenDir.resolve("jwt"))).isEqualTo(new FileOwner(1000, 1000));
        assertThat(mode(tokenDir.resolve("jwt"))).isEqualTo("r--------");
        // Open the way there, so only the token directory's own modes stand between a local user and the token.
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
        String file = tokenDir.resolve("jwt").toString();
        ProcessResult nobody = asHostUser(65534, 65534, "cat", file);
        assertThat(nobody.exit()).as(nobody.output()).isNotZero();
        assertThat(nobody.output()).contains("Permission denied").doesNotContain(delivery.defaultToken().compact());
        ProcessResult list = asHostUser(65534, 65534, "ls", tokenDir.toString());
        assertThat(list.exit()).as(list.output()).isNotZero();
        ProcessResult sameGroup = asHostUser(1001, 1000, "cat", file);
        assertThat(sameGroup.exit()).as("another uid in the task's group").isNotZero();
        assertThat(sameGroup.output()).doesNotContain(delivery.defaultToken().compact());
        ProcessResult taskUser = asHostUser(1000, 1000, "cat", file);
        assertThat(taskUser.output()).as("the task's own user").isEqualTo(delivery.defaultToken().compact());
    }

    @Test
    void taskInAUserNamespaceReadsItsTokenGivenToItsMappedHostUser() throws Exception {
        Runc.bundle(bundle, List.of("sh", "-c", "echo \"uid=$(id -u)\"; " + PRINT_AND_TAMPER), Map.of());
        runAs(1000, 1000, 200000);
        TokenDelivery.Delivery delivery = new TokenDelivery(() -> ring, Clock.systemUTC(), records)
                .deliver(metadata, vaultOnly(), tokenDir, bundle);

        RuncResult result = Runc.run(bundle);

        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.stdout()).contains("uid=1000\n", "write=refused\n");
        assertThat(group(FILE, result)).isEqualTo(delivery.defaultToken().compact());
        assertThat(FileOwner.of(tokenDir.resolve("jwt"))).isEqualTo(new FileOwner(201000, 201000));
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessResult unmapped = asHostUser(1000, 1000, "cat", tokenDir.resolve("jwt").toString());
        assertThat(unmapped.exit()).as("host uid 1000 is not the task's user here").isNotZero();
    }

    @Test
    void anotherUserInsideTheContainerCannotReadTheTaskUsersToken() throws Exception {
        Runc.bundle(bundle, List.of("sh", "-c", "cat \"$CONCOURSE_CI_JWT_FILE\" || echo read=refused"), Map.of());
        runAs(1000, 1000, null);
        TokenDelivery.Delivery delivery = new TokenDelivery(() -> ring, Clock.systemUTC(), records)
                .deliver(metadata, vaultOnly(), tokenDir, bundle);
        // The same mount for a process of another uid in the container (as a task's setuid helper might be).
        Path config = bundle.resolve("config.json");
        ObjectNode spec = (ObjectNode) JSON.readTree(config.toFile());
        ((ObjectNode) spec.get("process").get("user")).put("uid", 2000);
        Files.writeString(config, JSON.writeValueAsString(spec));

        RuncResult result = Runc.run(bundle);

        assertThat(result.stdout()).as(result.describe()).contains("read=refused")
                .doesNotContain(delivery.defaultToken().compact());
        assertThat(result.stderr()).contains("Permission denied");
    }
}
