package org.cijwt.jose;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWK;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsAssembler;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.fixtures.RelyingParties;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.jose.provider.CryptoProviders;
import org.cijwt.jose.provider.TestProviders;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.SigningKey;
import org.cijwt.tokens.TokenMinter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tokens signed on each provider are accepted by every independent relying party (Python's
 * cryptography with no JWT library, PyJWT, JavaScript's jose) from the public JWKS alone. The
 * build also runs this class with {@code -Dcijwt.crypto=bc}, so the process-wide path is checked
 * on both providers as well.
 */
class ProviderRelyingPartiesIT {
    private static final String ISSUER = "https://ci.example.com";

    @TempDir
    static Path dir;
    private static KeyRing ring;
    private static Path jwks;
    private static BuildMetadata metadata;

    @BeforeAll
    static void publish() throws Exception {
        RelyingParties.assumePythonTools();
        RelyingParties.assumeNodeTools();
        List<KeyEntry> keys = new ArrayList<>();
        for (SigningAlgorithm alg : SigningAlgorithm.values()) {
            keys.add(KeyEntry.of(TestProviders.privateKey(alg), null, "fixtures"));
        }
        ring = KeyRing.of(keys, List.of(), "fixtures");
        jwks = Files.writeString(dir.resolve("jwks.json"), ring.publicJwksJson());
        metadata = BuildMetadata.fromJson(TestKeys.metadata("main"), "main");
    }

    private static ClaimsPolicy policy(SigningAlgorithm alg) throws Exception {
        return ClaimsPolicy.builder().issuer(ISSUER).audience("vault").algorithm(alg).ttl(Duration.ofMinutes(10)).build();
    }

    private static void assertEveryRelyingPartyAccepts(String token) {
        List<RelyingParties.Verdict> verdicts = RelyingParties.verifyWithAll(jwks, ISSUER, "vault", token);
        assertThat(verdicts).hasSize(3);
        for (RelyingParties.Verdict v : verdicts) {
            assertThat(v.assertAccepted()).as(v.verifier()).contains("\"pipeline\"").contains("\"deploy\"");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("org.cijwt.jose.provider.TestProviders#namesAndAlgorithms")
    void verifyWhenSignedOnEitherProviderThenEveryRelyingPartyAccepts(String provider, SigningAlgorithm alg) throws Exception {
        CryptoProvider p = TestProviders.get(provider);
        SigningKey key = ring.requireSigner(alg);
        JWK jwk = key.entry().jwk();
        ClaimsAssembler.Assembled claims = ClaimsAssembler.assemble(metadata, policy(alg), Instant.now(), "jti-" + provider + "-" + alg);
        // The minter's own path, with the provider named instead of the process's.
        String token = JwsCompact.sign(JwsFactory.signer(alg, jwk, p), key.header(), claims.claims());
        assertEveryRelyingPartyAccepts(token);
    }

    @ParameterizedTest
    @EnumSource(SigningAlgorithm.class)
    void mintWhenOnTheProcessProviderThenEveryRelyingPartyAccepts(SigningAlgorithm alg) throws Exception {
        String token = new TokenMinter(() -> ring, Clock.systemUTC()).mint(metadata, policy(alg)).compact();
        assertEveryRelyingPartyAccepts(token);
    }

    @Test
    void activeProviderWhenTheBuildSetsTheSettingThenItIsThatOne() throws Exception {
        String setting = System.getProperty(CryptoProviders.PROPERTY);
        String expected = "bc".equals(setting) ? CryptoProvider.BOUNCY_CASTLE
                : CryptoProviders.select(setting, "setting").provider().name();
        assertThat(CryptoProvider.active().name()).isEqualTo(expected);
    }
}
