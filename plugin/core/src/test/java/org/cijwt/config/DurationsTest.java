package org.cijwt.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void parseWhenWrittenInTheGrammarThenEachUnitAndSumIsRead() throws Exception {
        assertThat(Durations.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void parseWhenBareZeroThenZeroWhichTurnsSettingsOff() throws Exception {
        assertThat(Durations.parse("0")).isZero();
        assertThat(Durations.parse("0s")).isZero();
    }

    @Test
    void parseWhenABareNumberThenRefusedAskingForAUnit() {
        assertThatThrownBy(() -> Durations.parse("600")).hasMessageStartingWith("is not a duration (a unit is required;");
    }

    @Test
    void parseWhenUpperCaseUnitThenRefusedSoThat1MIsNeverAMonth() {
        assertThatThrownBy(() -> Durations.parse("1M")).hasMessageContaining("units are lower case");
        assertThatThrownBy(() -> Durations.parse("7D")).hasMessageContaining("units are lower case");
    }

    @Test
    void parseWhenEmptySpacedNegativeOrHugeThenRefused() {
        assertThatThrownBy(() -> Durations.parse("")).hasMessageStartingWith("is empty");
        assertThatThrownBy(() -> Durations.parse("10 m")).hasMessageStartingWith("is not a duration");
        assertThatThrownBy(() -> Durations.parse("-5s")).hasMessageStartingWith("is not a duration");
        assertThatThrownBy(() -> Durations.parse("99999d")).hasMessageStartingWith("is longer than");
    }

    @Test
    void formatWhenParsedBackThenTheSameDuration() throws Exception {
        for (Duration d : new Duration[] {Duration.ZERO, Duration.ofMillis(1500), Duration.ofMinutes(90), Duration.ofDays(7)}) {
            assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
        }
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
    }
}
