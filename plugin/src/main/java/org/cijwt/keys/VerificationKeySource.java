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
        List<KeyEntry> pub = new ArrayList<>();
        if (KeySources.looksLikeJson(file)) {
            for (KeyEntry e : JwksKeySource.entries(file, describe())) {
                pub.add(KeyEntry.of(e.jwk().toPublicJWK(), e.kid(), describe()));
            }
        } else {
            pub.addAll(PemKeySource.file(file).entries(false));
        }
        return KeyRing.of(List.of(), pub, describe());
    }

    /** A verification-only ring from a JWKS document (for example one fetched from a jwks_uri). */
    public static KeyRing fromJwks(String json, String origin) throws CiJwtException {
        List<KeyEntry> pub = new ArrayList<>();
        for (KeyEntry e : JwksKeySource.entries(json, origin)) {
            pub.add(KeyEntry.of(e.jwk().toPublicJWK(), e.kid(), origin));
        }
        return KeyRing.of(List.of(), pub, origin);
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
