package org.cijwt.keys;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cijwt.errors.CiJwtException;

/**
 * Public keys that are published and accepted but never sign: pin a new issuer's key ahead of a
 * switch, or remove one to stop its tokens at once. Private halves in the file are ignored.
 */
public final class VerificationKeySource implements KeySource {
    private final Path file;

    public VerificationKeySource(Path file) {
        this.file = file;
    }

    @Override
    public KeyRing load() throws CiJwtException {
        List<KeyEntry> pub = KeySources.looksLikeJson(file)
                ? publicHalves(JwksKeySource.entries(file, describe()), describe())
                : PemKeySource.file(file).entries(false);
        return KeyRing.of(List.of(), pub, describe());
    }

    /** A verification-only ring from a JWKS document (for example one fetched from a jwks_uri). */
    public static KeyRing fromJwks(String json, String origin) throws CiJwtException {
        return KeyRing.of(List.of(), publicHalves(JwksKeySource.entries(json, origin), origin), origin);
    }

    private static List<KeyEntry> publicHalves(List<KeyEntry> entries, String origin) throws CiJwtException {
        List<KeyEntry> pub = new ArrayList<>();
        for (KeyEntry e : entries) {
            pub.add(KeyEntry.of(e.jwk().toPublicJWK(), e.kid(), origin));
        }
        return pub;
    }

    @Override
    public List<Path> watchedFiles() {
        return List.of(file);
    }

    @Override
    public String describe() {
        return "verification keys " + file;
    }
}
