package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** One container-id rule for the API, the agent's records and the delivery records. */
class ContainerIdTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "0", "task-1", "b9d2f2a4-5b1e-4f0e-9c1d-3f4e5a6b7c8d", "x_y.z+w"})
    void isValidWhenRuncWouldAcceptTheIdThenTrue(String id) {
        assertThat(ContainerId.isValid(id)).isTrue();
        assertThat(ContainerId.requireValid(id)).isEqualTo(id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-a", ".a", "a/b", "../x", "a b", "a\nb", "ä"})
    void isValidWhenTheIdHasAnotherCharacterOrStartThenFalse(String id) {
        assertThat(ContainerId.isValid(id)).isFalse();
    }

    @Test
    void isValidWhenLongerThanTheMaximumThenFalseAndTheMessageSaysTheLimit() {
        assertThat(ContainerId.isValid("a".repeat(ContainerId.MAX_LENGTH))).isTrue();
        String tooLong = "a".repeat(ContainerId.MAX_LENGTH + 1);
        assertThat(ContainerId.isValid(tooLong)).isFalse();
        assertThat(ContainerId.isValid(null)).isFalse();
        assertThatThrownBy(() -> ContainerId.requireValid("a\u001b[31m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most " + ContainerId.MAX_LENGTH)
                .hasMessageNotContaining("\u001b");
    }
}
