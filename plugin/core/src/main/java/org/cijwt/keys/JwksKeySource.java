package org.cijwt.keys;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.SecureFiles;

/**
 * A JWKS file holding key pairs, with the signing key named by id (the {@code signing-jwks-file}
 * and {@code signing-jwks-key-id} convention of {@code buildkite-agent tool keygen}). Every key is
 * published; the named key signs for its algorithm.
 */
public final class JwksKeySource implements KeySource {
    private final Path file;
    private final String signingKeyId;

    public JwksKeySource(Path file, String signingKeyId) {
        this.file = file;
        this.signingKeyId = signingKeyId;
    }

    @Override
    public KeyRing load() throws CiJwtException {
        List<KeyEntry> entries = entries(file, describe());
        if (entries.isEmpty()) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, describe() + " has no keys");
        }
        boolean hasPrivate = entries.stream().anyMatch(KeyEntry::isPrivate);
        if (hasPrivate) {
            SecureFiles.requirePrivatePermissions(file, "key file");
        }
        List<KeyEntry> signing = new ArrayList<>();
        List<KeyEntry> others = new ArrayList<>();
        if (signingKeyId != null) {
            KeyEntry named = entries.stream().filter(e -> e.kid().equals(signingKeyId)).findFirst()
                    .orElseThrow(() -> new CiJwtException(ErrorCode.KEY_NOT_FOUND, describe() + " has no key with id '"
                            + signingKeyId + "' (it has: " + entries.stream().map(KeyEntry::kid).toList() + ")"));
            signing.add(named.requirePrivate(describe(), ErrorCode.KEY_NOT_FOUND));
        } else if (entries.stream().filter(KeyEntry::isPrivate).count() > 1) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID,
                    describe() + " holds several private keys; name the one that signs with setting key_id");
        }
        for (KeyEntry e : entries) {
            if (signing.contains(e)) {
                continue;
            }
            if (e.isPrivate() && signingKeyId == null) {
                signing.add(e);
            } else {
                others.add(e);
            }
        }
        return KeyRing.of(signing, others, describe());
    }

    /**
     * Reads a JWKS file into entries, keeping each key's own {@code kid} or giving it its
     * thumbprint; an empty {@code keys} array gives no entries, and each caller decides whether
     * that is an error.
     */
    static List<KeyEntry> entries(Path file, String origin) throws CiJwtException {
        return entries(SecureFiles.read(file, "JWKS file"), origin);
    }

    static List<KeyEntry> entries(String text, String origin) throws CiJwtException {
        JWKSet set;
        try {
            set = JWKSet.parse(text);
        } catch (ParseException | RuntimeException e) {
            // Nimbus refuses most broken JWKs with a ParseException, a few with unchecked exceptions.
            throw new CiJwtException(ErrorCode.KEY_MALFORMED, origin + " is not a valid JWKS document");
        }
        List<KeyEntry> out = new ArrayList<>();
        for (JWK jwk : set.getKeys()) {
            KeyEntry e = KeyEntry.of(jwk, null, origin);
            Long nbf = jwk.getNotBeforeTime() == null ? null : jwk.getNotBeforeTime().getTime();
            Long exp = jwk.getExpirationTime() == null ? null : jwk.getExpirationTime().getTime();
            out.add(e.withSchedule(nbf == null ? null : Instant.ofEpochMilli(nbf),
                    exp == null ? null : Instant.ofEpochMilli(exp)));
        }
        return out;
    }

    @Override
    public List<Path> watchedFiles() {
        return List.of(file);
    }

    @Override
    public String describe() {
        return "JWKS file " + file;
    }
}
