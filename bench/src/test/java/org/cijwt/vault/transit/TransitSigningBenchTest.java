package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.vault.transit.TransitSigningBench.Options;
import org.junit.jupiter.api.Test;

/** The Transit benchmark's command line and statistics, without a server. */
class TransitSigningBenchTest {

    @Test
    void optionsWhenGivenThenEachReplacesItsDefault() {
        Options o = Options.parse(new String[] {"--algs", "ES256,RS256", "--seconds", "1.5", "--warmup-seconds", "0",
                "--burst", "50", "--bursts", "7", "--warmup-bursts", "0"});

        assertThat(o).isEqualTo(new Options(List.of(SigningAlgorithm.ES256, SigningAlgorithm.RS256), Duration.ZERO,
                Duration.ofMillis(1500), 50, 0, 7));
        assertThat(Options.parse(new String[0])).isEqualTo(Options.defaults());
    }

    @Test
    void optionsWhenUnknownOrInvalidThenRefusedNamingTheOption() {
        assertThatThrownBy(() -> Options.parse(new String[] {"--threads", "4"}))
                .hasMessageStartingWith("unknown option --threads");
        assertThatThrownBy(() -> Options.parse(new String[] {"--burst", "0"}))
                .hasMessageStartingWith("--burst '0' is not a whole number from 1");
        assertThatThrownBy(() -> Options.parse(new String[] {"--algs", "HS256"}))
                .hasMessageContaining("'HS256' is not one of EdDSA, ES256, RS256");
        assertThatThrownBy(() -> Options.parse(new String[] {"--seconds"}))
                .hasMessageStartingWith("--seconds needs a value");
    }

    @Test
    void percentileWhenNearestRankThenTheValueAtThatRank() {
        long[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

        assertThat(TransitSigningBench.percentile(sorted, 0.50)).isEqualTo(5);
        assertThat(TransitSigningBench.percentile(sorted, 0.99)).isEqualTo(10);
        assertThat(TransitSigningBench.percentile(new long[] {42}, 0.99)).isEqualTo(42);
    }
}
