package org.cijwt.keys;

import com.nimbusds.jose.jwk.JWK;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.SecureFiles;

/**
 * Keys in PEM, from a file or from an environment variable (raw or base64). Several keys may
 * share one PEM: per algorithm the first private key signs, and every key is published. That
 * gives three-step rotation: add the new key last, move it first, remove the old one.
 */
public final class PemKeySource implements KeySource {
    private final Path file;
    private final String envName;
    private final String envValue;

    private PemKeySource(Path file, String envName, String envValue) {
        this.file = file;
        this.envName = envName;
        this.envValue = envValue;
    }

    public static PemKeySource file(Path file) {
        return new PemKeySource(file, null, null);
    }

    /** A PEM held in an environment variable, as PEM text or base64 of it. */
    public static PemKeySource env(String name, String value) {
        return new PemKeySource(null, name, value);
    }

    @Override
    public KeyRing load() throws CiJwtException {
        List<KeyEntry> entries = entries(true);
        return KeyRing.of(entries.stream().filter(KeyEntry::isPrivate).toList(),
                entries.stream().filter(e -> !e.isPrivate()).toList(), describe());
    }

    /** The keys as entries; with {@code allowPrivate} false any private key is reduced to its public half. */
    List<KeyEntry> entries(boolean allowPrivate) throws CiJwtException {
        String pem = file != null ? SecureFiles.read(file, "PEM file") : decodeEnv(envValue);
        return entries(pem, file, describe(), allowPrivate);
    }

    /**
     * The keys of a PEM text read from {@code file} (null for an environment variable); a file
     * holding a private key must be private itself.
     */
    static List<KeyEntry> entries(String pem, Path file, String origin, boolean allowPrivate) throws CiJwtException {
        List<JWK> jwks = KeyCodec.parsePem(pem, origin);
        boolean hasPrivate = jwks.stream().anyMatch(JWK::isPrivate);
        if (hasPrivate && file != null) {
            SecureFiles.requirePrivatePermissions(file, "key file");
        }
        List<KeyEntry> out = new ArrayList<>();
        for (JWK jwk : jwks) {
            out.add(KeyEntry.of(allowPrivate ? jwk : jwk.toPublicJWK(), null, origin));
        }
        return out;
    }

    private String decodeEnv(String value) throws CiJwtException {
        if (value == null || value.isBlank()) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "environment variable " + envName + " is empty");
        }
        if (value.contains("-----BEGIN")) {
            return value;
        }
        try {
            return new String(Base64.getMimeDecoder().decode(value.trim()), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID,
                    "environment variable " + envName + " is neither PEM nor base64 of PEM");
        }
    }

    @Override
    public List<Path> watchedFiles() {
        return file == null ? List.of() : List.of(file);
    }

    @Override
    public String describe() {
        return file != null ? "PEM file " + file : "PEM in $" + envName;
    }
}
