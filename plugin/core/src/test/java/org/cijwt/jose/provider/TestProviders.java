package org.cijwt.jose.provider;

import com.nimbusds.jose.jwk.JWK;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyCodec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Both crypto providers for parameterized tests, so every test of signing and verifying runs on
 * AWS-LC and on the Bouncy Castle fallback in the same build, whichever one the process chose.
 */
public final class TestProviders {
    private TestProviders() {
    }

    /** The provider names, as {@code @MethodSource} arguments. */
    public static Stream<String> names() {
        return Stream.of(CryptoProvider.ACCP, CryptoProvider.BOUNCY_CASTLE);
    }

    /** Every provider with every algorithm. */
    public static Stream<Arguments> namesAndAlgorithms() {
        return names().flatMap(p -> Stream.of(SigningAlgorithm.values()).map(a -> Arguments.of(p, a)));
    }

    /**
     * The provider of that name. ACCP where its native library does not load skips the test with
     * the reason; on CI (CI=true) on Linux x86_64, where it must load, that is a failure instead.
     */
    public static CryptoProvider get(String name) {
        if (CryptoProvider.BOUNCY_CASTLE.equals(name)) {
            return CryptoProviders.bouncyCastle();
        }
        return CryptoProviders.accp().orElseGet(() -> {
            String why = "ACCP cannot be used here: " + CryptoProviders.accpProblem().orElse("unknown");
            if ("true".equals(System.getenv("CI")) && accpShouldLoad()) {
                throw new AssertionError(why + " (CI=true on Linux x86_64, where it must load)");
            }
            Assumptions.abort(why);
            return null;
        });
    }

    /** Whether this is a platform the shipped ACCP jar has a native library for. */
    public static boolean accpShouldLoad() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return os.contains("linux") && List.of("amd64", "x86_64").contains(arch);
    }

    /** The fixtures' private test key of an algorithm. */
    public static JWK privateKey(SigningAlgorithm alg) throws Exception {
        String file = switch (alg) {
            case EdDSA -> TestKeys.ED25519;
            case ES256 -> TestKeys.P256;
            case RS256 -> TestKeys.RSA2048;
        };
        return KeyCodec.parsePem(TestKeys.text(file), file).get(0);
    }
}
