package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The allow-list rule docs/agent.md states: '*' is one or more non-'/' characters, a final '*' one or more of any. */
class AudiencePatternTest {

    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource({
            "sts.amazonaws.com, sts.amazonaws.com, true",
            "sts.amazonaws.com, STS.amazonaws.com, false",
            "sts.amazonaws.com, sts.amazonaws.com/, false",
            "sts.amazonaws.com, stsXamazonaws.com, false",
            "//iam.googleapis.com/projects/*, //iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/p/providers/q, true",
            "//iam.googleapis.com/projects/*, //iam.googleapis.com/projects/, false",
            "//iam.googleapis.com/projects/*, //iam.googleapis.com/projectsX/1, false",
            "https://*.example.com, https://vault.example.com, true",
            "https://*.example.com, https://a.b.example.com, true",
            "https://*.example.com, https://example.com, false",
            "https://*.example.com, https://evil.test/.example.com, false",
            "https://*.example.com/api, https://vault.example.com/api, true",
            "https://*.example.com/api, https://vault.example.com/api/x, false",
            "vault-*-prod, vault-eu-prod, true",
            "vault-*-prod, vault-eu/x-prod, false",
    })
    void matchesWhenAudienceIsComparedThenTheRuleHolds(String pattern, String audience, boolean expected) {
        assertThat(AudiencePattern.parse(pattern).matches(audience)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", "/*", "//*/*", "a**b", "", "has space", "tab\tin"})
    void parseWhenPatternAllowsAnythingOrIsMalformedThenRefused(String pattern) {
        assertThatThrownBy(() -> AudiencePattern.parse(pattern)).isInstanceOf(IllegalArgumentException.class);
    }

    @org.junit.jupiter.api.Test
    void profileWhenOnRequestIsBadThenOneLineNamingItsPath() {
        assertThatThrownBy(() -> TokenProfile.parse("tokens: [{name: jwt, audiences: [vault]}]\non_request: {audiences: ['*']}", "p"))
                .isInstanceOf(CiJwtException.class).hasMessageContaining("on_request.audiences[0]")
                .hasMessageContaining("would allow any audience")
                .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.SETTING_INVALID));
        assertThatThrownBy(() -> TokenProfile.parse("tokens: [{name: jwt, audiences: [vault]}]\non_request: {audiences: [a], max_ttl: 25h}", "p"))
                .hasMessageContaining("on_request.max_ttl").hasMessageContaining("outside [1m, 24h]");
        assertThatThrownBy(() -> TokenProfile.parse("tokens: [{name: jwt, audiences: [vault]}]\non_request: {audiences: [a], rate_per_minute: 0}", "p"))
                .hasMessageContaining("on_request.rate_per_minute");
        assertThatThrownBy(() -> TokenProfile.parse("tokens: [{name: jwt, audiences: [vault]}]\non_request: {max_ttl: 1h}", "p"))
                .hasMessageContaining("on_request.audiences").hasMessageContaining("is required");
        assertThatThrownBy(() -> TokenProfile.parse("tokens: [{name: jwt, audiences: [vault]}]\non_request: {audiences: [a], burst: 3}", "p"))
                .hasMessageContaining("unknown key 'burst'");
    }

    @org.junit.jupiter.api.Test
    void profileWhenOnRequestIsAbsentOrGivenThenDefaultsAndLifetimeFollow() throws Exception {
        assertThat(TokenProfile.parse("tokens: [{name: jwt, audiences: [vault]}]", "p").requests()).isEmpty();
        TokenRequestPolicy p = TokenProfile.parse("tokens: [{name: jwt, audiences: [vault]}]\non_request: {audiences: [a]}", "p")
                .requests().orElseThrow();
        assertThat(p.maxTtl()).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(p.ratePerMinute()).isEqualTo(60);
        assertThat(p.defaultLifetime()).isEqualTo(java.time.Duration.ofMinutes(10));
        TokenProfile shortTtl = TokenProfile.parse("tokens: [{name: jwt, audiences: [vault]}]\non_request: {audiences: [a], max_ttl: 5m}", "p");
        assertThat(shortTtl.requests().orElseThrow().defaultLifetime()).isEqualTo(java.time.Duration.ofMinutes(5));
        assertThat(shortTtl.withIssuer("https://other.example").requests()).as("--issuer keeps on_request").isEqualTo(shortTtl.requests());
    }
}
