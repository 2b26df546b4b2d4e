package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The request body's rules and the per-container rate, with a clock of the test's own. */
class TokenRequestsTest {

    @Test
    void parseWhenBodyIsWhatTheDesignSaysThenAudiencesAndLifetime() throws Exception {
        TokenRequests.Request r = TokenRequests.parse("{\"audience\": [\"sts.amazonaws.com\", \"vault\"], \"lifetime\": \"10m\"}");
        assertThat(r.audiences()).containsExactly("sts.amazonaws.com", "vault");
        assertThat(r.lifetime()).contains(Duration.ofMinutes(10));
        assertThat(TokenRequests.parse("{\"audience\": [\"a\"]}").lifetime()).isEqualTo(Optional.empty());
    }

    @Test
    void parseWhenBodyIsAnythingElseThenRefusedWithOneLineAndCJ509() {
        for (String body : List.of("", "[]", "{", "{\"audience\": \"a\"}", "{\"audience\": []}", "{\"audience\": [1]}",
                "{\"audience\": [\"a\", \"a\"]}", "{\"audience\": [\"a b\"]}", "{\"audience\": [\"a\"], \"lifetime\": 600}",
                "{\"audience\": [\"a\"], \"lifetime\": \"ten\"}", "{\"audience\": [\"a\"], \"sub\": \"main/other\"}",
                "{\"audience\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}")) {
            assertThatThrownBy(() -> TokenRequests.parse(body)).as(body).hasMessageNotContaining("\n")
                    .satisfies(e -> assertThat(TokenRequests.status(org.cijwt.errors.ErrorCode.REQUEST_INVALID)).isEqualTo(400));
        }
        assertThatThrownBy(() -> TokenRequests.parse("{\"audience\": [\"a\"], \"sub\": \"x\"}")).hasMessage("unknown field 'sub' (known: audience, lifetime)");
    }

    @Test
    void rateWhenABurstUsesTheBucketThenRefusedUntilItRefillsAtThePerMinuteRate() {
        MutableClock clock = new MutableClock();
        RateLimit rate = new RateLimit(clock, 60);
        for (int i = 0; i < 60; i++) {
            assertThat(rate.tryTake()).as("request %d of the burst", i).isTrue();
        }
        assertThat(rate.tryTake()).isFalse();
        clock.advance(Duration.ofMillis(999));
        assertThat(rate.tryTake()).as("a second refills one of 60 a minute").isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(rate.tryTake()).isTrue();
        assertThat(rate.tryTake()).isFalse();
        clock.advance(Duration.ofHours(1));
        for (int i = 0; i < 60; i++) {
            assertThat(rate.tryTake()).isTrue();
        }
        assertThat(rate.tryTake()).as("the bucket holds one burst, not an hour of them").isFalse();
    }

    @Test
    void statusWhenRefusedThenEachCodeHasItsStatusAndReason() {
        assertThat(TokenRequests.status(org.cijwt.errors.ErrorCode.REQUEST_CALLER_REFUSED)).isEqualTo(403);
        assertThat(TokenRequests.status(org.cijwt.errors.ErrorCode.REQUEST_AUDIENCE_REFUSED)).isEqualTo(403);
        assertThat(TokenRequests.status(org.cijwt.errors.ErrorCode.REQUEST_LIFETIME_REFUSED)).isEqualTo(400);
        assertThat(TokenRequests.status(org.cijwt.errors.ErrorCode.REQUEST_RATE_LIMITED)).isEqualTo(429);
        assertThat(TokenRequests.status(org.cijwt.errors.ErrorCode.REQUEST_CONTAINER_ENDED)).isEqualTo(410);
        assertThat(TokenRequests.reason(org.cijwt.errors.ErrorCode.REQUEST_RATE_LIMITED)).isEqualTo("rate");
        assertThat(TokenRequests.reason(org.cijwt.errors.ErrorCode.CONFIG_NOT_VERIFIED)).isEqualTo("config");
    }

    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-12-06T12:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
