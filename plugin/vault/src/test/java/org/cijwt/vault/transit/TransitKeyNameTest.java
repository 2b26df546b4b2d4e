package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransitKeyNameTest {
    @Test
    void parseWhenMountHasSlashesThenKeyIsTheLastSegment() throws Exception {
        TransitKeyName name = TransitKeyName.parse("team-a/transit/ci-jwt");

        assertThat(name.mount()).isEqualTo("team-a/transit");
        assertThat(name.key()).isEqualTo("ci-jwt");
        assertThat(name.signPath()).isEqualTo("team-a/transit/sign/ci-jwt");
        assertThat(name.readPath()).isEqualTo("team-a/transit/keys/ci-jwt");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "ci-jwt", "transit/", "/ci-jwt", "transit//ci-jwt", "transit/../sys", "transit/ci jwt",
            "transit/ci-jwt?x=1"})
    void parseWhenNotMountSlashKeyThenOneLineNamesTheSetting(String location) {
        assertThatThrownBy(() -> TransitKeyName.parse(location))
                .isInstanceOfSatisfying(CiJwtException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.KEY_SOURCE_INVALID);
                    assertThat(e.getMessage()).startsWith("setting keys: transit:" + location + ": ").doesNotContain("\n");
                });
    }
}
