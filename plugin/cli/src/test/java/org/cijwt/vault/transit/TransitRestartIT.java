package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.ExitCode;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenBao stopped in the middle of a run and started again (raft storage, so the key survives):
 * minting fails within the timeout with one line naming the address, and resumes by itself.
 */
class TransitRestartIT {
    private static final String ISSUER = "https://ci.example.com";

    @TempDir
    Path temp;

    @Test
    void mintWhenOpenBaoStoppedThenFailsWithinTheTimeoutAndResumesAfterRestartWithoutRestartingCiJwt() throws Exception {
        Assume.openBao();
        try (OpenBaoServer bao = OpenBaoServer.startPersistent(temp.resolve("bao"))) {
            TransitLab lab = TransitLab.of(bao);
            lab.mountTransit();
            lab.createKey("restart", "ecdsa-p256");
            String token = lab.signerToken("restart", Duration.ofHours(1));
            Path settings = Files.writeString(temp.resolve("transit.yml"), "timeout: 2s\npoll_interval: 1s\npublish_ahead: 1s\n");
            Map<String, String> env = TransitLab.env(bao.address().toString(), token, settings);
            ShiftedClock clock = new ShiftedClock();
            ReloadingKeyRing ring = ReloadingKeyRing.start(KeySources.resolve("transit:transit/restart",
                    KeySources.Options.defaults().withEnv(env).withClock(clock)), clock);
            TokenMinter minter = new TokenMinter(ring, Clock.systemUTC());
            BuildMetadata build = BuildMetadata.fromJson(TestKeys.metadata("main"), "main");
            ClaimsPolicy policy = ClaimsPolicy.builder().issuer(ISSUER).audience("restart").build();
            MintedToken before = minter.mint(build, policy);

            bao.stop();

            long started = System.nanoTime();
            assertThatThrownBy(() -> minter.mint(build, policy))
                    .isInstanceOfSatisfying(CiJwtException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.KEY_SERVICE_FAILED);
                        assertThat(e.getMessage()).startsWith("Vault at " + bao.address() + ": signing with transit key"
                                + " transit/restart version 1 failed: connection refused").doesNotContain("\n", token);
                    });
            // The deadline is 2 s; the rest is room for a busy machine's thread scheduling.
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
            clock.shift(Duration.ofSeconds(2));
            ring.refresh();
            assertThat(ring.lastError()).startsWith("CJ209 Vault at " + bao.address() + ": reading transit key");
            assertThat(ring.get().publishedKey(before.kid())).isPresent();

            Path metadata = TestKeys.metadataFile("main", temp);
            CliProcess.Result cli = CliProcess.run(temp, "mint-down", env, "mint", "--keys", "transit:transit/restart",
                    "--metadata", metadata.toString(), "--audience", "restart", "--issuer", ISSUER);
            assertThat(cli.exit()).as(cli.describe()).isEqualTo(ExitCode.REJECTED);
            assertThat(cli.out()).isEmpty();
            assertThat(cli.err().lines().toList()).as(cli.describe()).hasSize(1).first().asString()
                    .startsWith("ci-jwt: CJ209 Vault at " + bao.address() + ": reading transit key transit/restart failed:"
                            + " connection refused");

            bao.restart();

            MintedToken after = minter.mint(build, policy);
            assertThat(after.kid()).isEqualTo(before.kid());
            clock.shift(Duration.ofSeconds(10));
            ring.refresh();
            assertThat(ring.lastError()).isNull();
            CliProcess.Result up = CliProcess.run(temp, "mint-up", env, "mint", "--keys", "transit:transit/restart",
                    "--metadata", metadata.toString(), "--audience", "restart", "--issuer", ISSUER);
            assertThat(up.exit()).as(up.describe()).isZero();
            assertThat(up.out()).matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+");
            assertThat(List.of(up.err(), cli.err())).noneMatch(s -> s.contains(token));
        }
    }
}
