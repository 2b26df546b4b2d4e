package org.cijwt.jose.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The provider setting: auto, accp, bc, and what is refused. */
class CryptoProvidersTest {

    @ParameterizedTest
    @ValueSource(strings = {"bc", "BC", " bc "})
    void selectWhenBcThenBouncyCastleWhateverLoads(String value) throws Exception {
        CryptoProviders.Selection s = CryptoProviders.select(value, CryptoProviders.ENV);
        assertThat(s.provider().name()).isEqualTo(CryptoProvider.BOUNCY_CASTLE);
        assertThat(s.reason()).isEqualTo("CI_JWT_CRYPTO=bc");
    }

    @ParameterizedTest
    @ValueSource(strings = {"auto", "", "  "})
    void selectWhenAutoOrUnsetThenAccpWhereItLoadsElseBouncyCastleWithTheReason(String value) throws Exception {
        CryptoProviders.Selection s = CryptoProviders.select(value, CryptoProviders.ENV);
        if (CryptoProviders.accp().isPresent()) {
            assertThat(s.provider().name()).isEqualTo(CryptoProvider.ACCP);
            assertThat(s.reason()).isEqualTo("auto: its native library loaded");
        } else {
            assertThat(s.provider().name()).isEqualTo(CryptoProvider.BOUNCY_CASTLE);
            assertThat(s.reason()).startsWith("auto, ACCP not used: ").contains(CryptoProviders.accpProblem().orElseThrow());
        }
        assertThat(CryptoProviders.select(null, CryptoProviders.ENV).provider()).isSameAs(s.provider());
    }

    @Test
    void selectWhenAccpThenAccpOrAnErrorNamingTheSetting() throws Exception {
        if (CryptoProviders.accp().isPresent()) {
            assertThat(CryptoProviders.select("accp", CryptoProviders.ENV).provider().name()).isEqualTo(CryptoProvider.ACCP);
        } else {
            assertThatThrownBy(() -> CryptoProviders.select("accp", CryptoProviders.ENV))
                    .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SETTING_INVALID))
                    .hasMessageContaining("CI_JWT_CRYPTO is accp");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"openssl", "bouncycastle", "native"})
    void selectWhenUnknownValueThenSettingInvalidNamingTheSettingAndTheChoices(String value) {
        assertThatThrownBy(() -> CryptoProviders.select(value, "-Dcijwt.crypto"))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SETTING_INVALID))
                .hasMessage("-Dcijwt.crypto is '" + value + "', but must be auto, accp or bc");
    }

    @Test
    void activeWhenThisBuildRunsThenTheProviderTheSettingAsksFor() throws Exception {
        String property = System.getProperty(CryptoProviders.PROPERTY);
        String value = property != null ? property : System.getenv(CryptoProviders.ENV);
        String expected = CryptoProviders.select(value, "setting").provider().name();
        assertThat(CryptoProvider.active().name()).isEqualTo(expected);
        assertThat(CryptoProviders.require()).isSameAs(CryptoProvider.active());
        assertThat(CryptoProvider.active().description()).isNotBlank();
    }

    @Test
    void accpWhenLinuxX86_64ThenItsNativeLibraryLoads() {
        Assumptions.assumeTrue(TestProviders.accpShouldLoad(), "the shipped ACCP jar has a native library for Linux x86_64 only");
        CryptoProvider accp = TestProviders.get(CryptoProvider.ACCP);
        assertThat(accp.description()).startsWith("Amazon Corretto Crypto Provider 2.").contains("AWS-LC");
    }

    @ParameterizedTest
    @ValueSource(strings = {CryptoProvider.ACCP, CryptoProvider.BOUNCY_CASTLE})
    void newSecureRandomWhenUsedOnTwoThreadsThenEachGivesItsOwnFreshBytes(String provider) throws Exception {
        CryptoProvider p = TestProviders.get(provider);
        byte[] a = new byte[16];
        p.newSecureRandom().nextBytes(a);
        byte[] b = CompletableFuture.supplyAsync(() -> {
            byte[] out = new byte[16];
            p.newSecureRandom().nextBytes(out);
            return out;
        }).get();
        assertThat(a).isNotEqualTo(new byte[16]);
        assertThat(Arrays.equals(a, b)).isFalse();
    }

    @Test
    void randomBytesWhenFilledTwiceThenDifferent() {
        byte[] a = new byte[16];
        byte[] b = new byte[16];
        RandomBytes.fill(a);
        RandomBytes.fill(b);
        assertThat(a).isNotEqualTo(b);
    }
}
