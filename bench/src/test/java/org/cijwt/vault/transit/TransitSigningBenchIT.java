package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.vault.transit.TransitSigningBench.Options;
import org.cijwt.vault.transit.TransitSigningBench.Row;
import org.cijwt.vault.transit.TransitSigningBench.Signer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the Transit benchmark of BENCHMARKS.md runnable: a very short run against a real OpenBao
 * fills every row and counts Vault requests as the table claims. It checks the machinery and the
 * request counts, never a speed.
 */
class TransitSigningBenchIT {

    @TempDir
    Path temp;

    @Test
    void benchWhenRunBrieflyThenEveryRowIsMeasuredAndVaultRequestsAreCountedPerSigner() throws Exception {
        Assume.openBao();
        int burst = 10;
        Options options = new Options(List.of(SigningAlgorithm.EdDSA), Duration.ofMillis(300), Duration.ofMillis(300),
                burst, 1, 2);
        List<Row> rows;
        try (OpenBaoServer bao = OpenBaoServer.start()) {
            rows = TransitSigningBench.run(bao, options, temp);
        }

        assertThat(rows).extracting(Row::signer).containsExactly(Signer.values());
        for (Row r : rows) {
            assertThat(r.burst().medianMillis()).as(r.signer().label).isPositive();
            assertThat(r.burst().worstMillis()).isGreaterThanOrEqualTo(r.burst().medianMillis());
            assertThat(r.sequential() != null).as(r.signer().label).isEqualTo(r.signer().sequential);
        }
        Row local = rows.get(0);
        assertThat(local.sequential().mints()).isPositive();
        assertThat(local.sequential().requestsPerMint()).isZero();
        assertThat(local.burst().maxRequests()).isZero();

        Row batched = rows.get(1);
        // Every Transit mint costs at least one request; never more than one per signature in a burst.
        assertThat(batched.sequential().requestsPerMint()).isGreaterThanOrEqualTo(1.0);
        assertThat(batched.burst().minRequests()).isBetween(1L, (long) burst);
        assertThat(batched.burst().maxRequests()).isLessThanOrEqualTo(burst);

        Row serial = rows.get(3);
        // batch_size 1: one request per signature (the token's background look-up may add one).
        assertThat(serial.burst().minRequests()).isEqualTo(burst);
        assertThat(serial.burst().maxRequests()).isLessThanOrEqualTo(burst + 1);

        String table = TransitSigningBench.table(rows, options);
        assertThat(table.lines().filter(l -> l.startsWith("| EdDSA |"))).hasSize(Signer.values().length);
        assertThat(table).contains("burst of " + burst + ":");
    }
}
