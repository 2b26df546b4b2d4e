package org.cijwt.keys;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.jose.SigningAlgorithm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys generated in memory for tests and demos; they die with the process. The public JWK of
 * each is logged so that a relying party can pin it.
 */
public final class EphemeralKeySource implements KeySource {
    private static final Logger LOG = LoggerFactory.getLogger(EphemeralKeySource.class);

    private final KeyRing ring;

    public EphemeralKeySource(Set<SigningAlgorithm> algorithms) throws CiJwtException {
        List<KeyEntry> keys = new ArrayList<>();
        for (SigningAlgorithm alg : algorithms) {
            KeyEntry e = KeyEntry.of(KeyCodec.generate(alg), null, describe());
            keys.add(e);
            LOG.info("ephemeral {} signing key generated; public JWK: {}", alg, e.published().toJSONString());
        }
        this.ring = KeyRing.of(keys, List.of(), describe());
    }

    @Override
    public KeyRing load() {
        return ring;
    }

    @Override
    public String describe() {
        return "ephemeral keys";
    }
}
