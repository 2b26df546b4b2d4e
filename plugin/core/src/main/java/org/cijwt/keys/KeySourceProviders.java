package org.cijwt.keys;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/** Finds the {@link KeySourceProvider} for a {@code SCHEME:LOCATION} key setting. */
final class KeySourceProviders {
    /** Two characters at least, so a Windows drive letter ({@code C:}) is never read as a scheme. */
    private static final Pattern SCHEMED = Pattern.compile("([a-z][a-z0-9+.-]+):(.*)", Pattern.DOTALL);

    private KeySourceProviders() {
    }

    /**
     * The provider's source when {@code spec} names a registered scheme; empty when it is no
     * {@code SCHEME:} value or an existing file of that name; an error for an unknown scheme.
     */
    static Optional<KeySource> open(String spec, KeySources.Options options) throws CiJwtException {
        Matcher m = SCHEMED.matcher(spec);
        if (!m.matches()) {
            return Optional.empty();
        }
        Map<String, KeySourceProvider> providers = providers();
        KeySourceProvider provider = providers.get(m.group(1));
        if (provider != null) {
            return Optional.of(provider.open(m.group(2), options));
        }
        if (Files.exists(Path.of(spec))) {
            return Optional.empty();
        }
        throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "setting keys: " + spec + ": no key source for the scheme '"
                + m.group(1) + "' in this build (schemes: " + (providers.isEmpty() ? "none" : providers.keySet())
                + "; the assembled ci-jwt.jar has transit)");
    }

    private static Map<String, KeySourceProvider> providers() {
        Map<String, KeySourceProvider> out = new TreeMap<>();
        for (KeySourceProvider p : ServiceLoader.load(KeySourceProvider.class, KeySourceProviders.class.getClassLoader())) {
            out.putIfAbsent(p.scheme(), p);
        }
        return out;
    }
}
