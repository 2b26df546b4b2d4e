package org.cijwt.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.cijwt.fixtures.TestKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The pair check that TLS settings run at start-up, before a handshake would find a wrong key. */
class KeyPairProbeTest {

    @ParameterizedTest
    @EnumSource(TestKeys.Alg.class)
    void belongTogetherWhenTheKeysAreOnePairThenTrue(TestKeys.Alg alg) {
        KeyPair pair = TestKeys.keyPair(alg);

        assertThat(KeyPairProbe.belongTogether(pair.getPrivate(), pair.getPublic())).isTrue();
    }

    @Test
    void belongTogetherWhenTheKeyIsAnotherOfTheSameTypeOrOfAnotherTypeThenFalse() throws Exception {
        KeyPair es = TestKeys.keyPair(TestKeys.Alg.ES256);
        KeyPair rs = TestKeys.keyPair(TestKeys.Alg.RS256);
        KeyPair ed = TestKeys.keyPair(TestKeys.Alg.EdDSA);
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));

        assertThat(KeyPairProbe.belongTogether(es.getPrivate(), ec.generateKeyPair().getPublic())).isFalse();
        assertThat(KeyPairProbe.belongTogether(rs.getPrivate(), es.getPublic())).isFalse();
        assertThat(KeyPairProbe.belongTogether(ed.getPrivate(), rs.getPublic())).isFalse();
    }

    @Test
    void belongTogetherWhenTheTypeCannotSignThenFalseRatherThanAnError() throws Exception {
        KeyPair x25519 = KeyPairGenerator.getInstance("X25519").generateKeyPair();

        assertThat(KeyPairProbe.belongTogether(x25519.getPrivate(), x25519.getPublic())).isFalse();
    }
}
