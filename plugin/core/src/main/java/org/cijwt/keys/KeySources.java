package org.cijwt.keys;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;

/**
 * Turns the {@code --keys} setting into a key source: {@code ephemeral}, a state directory (the
 * embedded store), a PEM file or a JWKS file. With no setting, {@code CI_JWT_SIGNING_KEY_FILE} or
 * {@code CI_JWT_SIGNING_KEY} (PEM or its base64) are used, else the default state directory. A
 * {@code SCHEME:LOCATION} value goes to the {@link KeySourceProvider} of that scheme.
 */
public final class KeySources {
    public static final String ENV_KEY = "CI_JWT_SIGNING_KEY";
    public static final String ENV_KEY_FILE = "CI_JWT_SIGNING_KEY_FILE";
    public static final String EPHEMERAL = "ephemeral";

    private KeySources() {
    }

    /** Options for {@link #resolve}: everything but the spec string itself. */
    public record Options(String keyId, List<Path> verificationKeys, RotationPolicy rotation, Clock clock,
                          Set<SigningAlgorithm> algorithms, Map<String, String> env) {
        public static Options defaults() {
            return new Options(null, List.of(), RotationPolicy.DEFAULT, Clock.systemUTC(),
                    EmbeddedKeyStore.DEFAULT_ALGORITHMS, System.getenv());
        }

        public Options withKeyId(String id) {
            return new Options(id, verificationKeys, rotation, clock, algorithms, env);
        }

        public Options withVerificationKeys(List<Path> files) {
            return new Options(keyId, List.copyOf(files), rotation, clock, algorithms, env);
        }

        public Options withRotation(RotationPolicy r) {
            return new Options(keyId, verificationKeys, r, clock, algorithms, env);
        }

        public Options withClock(Clock c) {
            return new Options(keyId, verificationKeys, rotation, c, algorithms, env);
        }

        public Options withEnv(Map<String, String> e) {
            return new Options(keyId, verificationKeys, rotation, clock, algorithms, e);
        }
    }

    public static KeySource resolve(String spec, Options options) throws CiJwtException {
        KeySource primary = primary(spec, options);
        if (options.verificationKeys().isEmpty()) {
            return primary;
        }
        List<KeySource> pinned = new ArrayList<>();
        for (Path p : options.verificationKeys()) {
            // Once running, a file that is gone means "no keys"; at start-up it is more likely a typo.
            if (!Files.exists(p)) {
                throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "setting verification_keys: " + p + ": file does not exist");
            }
            pinned.add(new VerificationKeySource(p));
        }
        return new CompositeKeySource(primary, pinned);
    }

    private static KeySource primary(String spec, Options options) throws CiJwtException {
        if (spec == null || spec.isBlank()) {
            String file = options.env().get(ENV_KEY_FILE);
            if (file != null && !file.isBlank()) {
                return fileSource(Path.of(file), options);
            }
            String pem = options.env().get(ENV_KEY);
            if (pem != null && !pem.isBlank()) {
                return PemKeySource.env(ENV_KEY, pem);
            }
            return new EmbeddedKeyStore(EmbeddedKeyStore.DEFAULT_DIR, options.rotation(), options.clock(), options.algorithms());
        }
        Optional<KeySource> provided = KeySourceProviders.open(spec, options);
        if (provided.isPresent()) {
            return provided.get();
        }
        if (spec.equals(EPHEMERAL)) {
            return new EphemeralKeySource(options.algorithms());
        }
        Path path = Path.of(spec);
        if (Files.isDirectory(path)) {
            return new EmbeddedKeyStore(path, options.rotation(), options.clock(), options.algorithms());
        }
        if (Files.exists(path)) {
            return fileSource(path, options);
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".pem") || name.endsWith(".json") || name.endsWith(".jwks") || name.endsWith(".key")) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "setting keys: " + spec + ": file does not exist");
        }
        return new EmbeddedKeyStore(path, options.rotation(), options.clock(), options.algorithms());
    }

    private static KeySource fileSource(Path file, Options options) throws CiJwtException {
        if (looksLikeJson(file)) {
            return new JwksKeySource(file, options.keyId());
        }
        if (options.keyId() != null) {
            throw new CiJwtException(ErrorCode.OPTIONS_CONFLICT,
                    "setting key_id names a key in a JWKS file, but " + file + " is PEM (its first key per algorithm signs)");
        }
        return PemKeySource.file(file);
    }

    /** Sniffs the first non-blank byte: JWKS is a JSON object, PEM starts with dashes. */
    static boolean looksLikeJson(Path file) throws CiJwtException {
        try (InputStream in = Files.newInputStream(file)) {
            int c;
            do {
                c = in.read();
            } while (c == ' ' || c == '\n' || c == '\r' || c == '\t');
            return c == '{';
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "key file " + file + " cannot be read");
        }
    }

    /** A primary source plus verification-only sources whose keys are published too. */
    static final class CompositeKeySource implements KeySource {
        private final KeySource primary;
        private final List<KeySource> pinned;

        CompositeKeySource(KeySource primary, List<KeySource> pinned) {
            this.primary = primary;
            this.pinned = List.copyOf(pinned);
        }

        @Override
        public KeyRing load() throws CiJwtException {
            KeyRing ring = primary.load();
            for (KeySource p : pinned) {
                ring = ring.withPublished(p.load(), p.describe());
            }
            return ring;
        }

        /** The primary source first, then the verification-only ones; a reloading ring keeps each one's last good keys. */
        List<KeySource> parts() {
            List<KeySource> all = new ArrayList<>();
            all.add(primary);
            all.addAll(pinned);
            return all;
        }

        @Override
        public List<Path> watchedFiles() {
            List<Path> all = new ArrayList<>(primary.watchedFiles());
            pinned.forEach(p -> all.addAll(p.watchedFiles()));
            return all;
        }

        @Override
        public Instant nextScheduledChange() {
            return primary.nextScheduledChange();
        }

        @Override
        public String describe() {
            return primary.describe() + " + " + pinned.stream().map(KeySource::describe).toList();
        }
    }
}
