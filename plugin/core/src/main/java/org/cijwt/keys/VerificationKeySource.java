package org.cijwt.keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.SecureFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Public keys that are published and accepted but never sign: pin a new issuer's key ahead of a
 * switch, or remove one to stop its tokens at once. Private halves in the file are ignored.
 *
 * <p>Removing works by editing the file, emptying it or deleting it: a file that is gone or holds
 * nothing but white space loads as no keys at all, so the next reload stops accepting what it
 * held. (A file that is there but cannot be parsed is an error, and a reloading ring keeps the
 * keys it last loaded from it.) {@link KeySources#resolve} still wants the file to exist at
 * start-up, so that a mistyped path is not mistaken for "no keys".
 */
public final class VerificationKeySource implements KeySource {
    private static final Logger LOG = LoggerFactory.getLogger(VerificationKeySource.class);

    private final Path file;

    public VerificationKeySource(Path file) {
        this.file = file;
    }

    @Override
    public KeyRing load() throws CiJwtException {
        String text;
        try {
            // One read: the format check and the parse see the same bytes, even while the file is replaced.
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            LOG.warn("{} is gone: none of its keys is published or accepted any more", describe());
            return KeyRing.empty();
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, describe() + " cannot be read: " + SecureFiles.reason(e));
        }
        if (text.isBlank()) {
            LOG.warn("{} is empty: none of its keys is published or accepted any more", describe());
            return KeyRing.empty();
        }
        List<KeyEntry> pub = text.stripLeading().startsWith("{")
                ? publicHalves(JwksKeySource.entries(text, describe()), describe())
                : PemKeySource.entries(text, file, describe(), false);
        return KeyRing.of(List.of(), pub, describe());
    }

    /** A verification-only ring from a JWKS document (for example one fetched from a jwks_uri). */
    public static KeyRing fromJwks(String json, String origin) throws CiJwtException {
        List<KeyEntry> entries = JwksKeySource.entries(json, origin);
        if (entries.isEmpty()) {
            // A fetched document with no keys is a wrong URL or a broken issuer, not a revocation.
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, origin + " has no keys");
        }
        return KeyRing.of(List.of(), publicHalves(entries, origin), origin);
    }

    private static List<KeyEntry> publicHalves(List<KeyEntry> entries, String origin) throws CiJwtException {
        List<KeyEntry> pub = new ArrayList<>();
        for (KeyEntry e : entries) {
            pub.add(KeyEntry.of(e.jwk().toPublicJWK(), e.kid(), origin));
        }
        return pub;
    }

    public Path file() {
        return file;
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
