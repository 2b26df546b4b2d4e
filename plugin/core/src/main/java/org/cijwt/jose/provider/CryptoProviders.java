package org.cijwt.jose.provider;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.util.Locale;
import java.util.Optional;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the {@link CryptoProvider} once per process: the setting {@value #PROPERTY} (system
 * property) or {@value #ENV} (environment) says {@code auto} (the default: AWS-LC where its native
 * library loads, else Bouncy Castle), {@code accp} (AWS-LC or fail) or {@code bc} (Bouncy Castle).
 * The choice is logged once; ACCP's native library does not load on macOS, on musl (Alpine) or
 * when the temporary directory it unpacks into is mounted {@code noexec}.
 */
public final class CryptoProviders {
    /** Environment variable naming the provider: auto, accp or bc. */
    public static final String ENV = "CI_JWT_CRYPTO";
    /** System property naming the provider; it wins over {@link #ENV}. */
    public static final String PROPERTY = "cijwt.crypto";

    private static final Logger LOG = LoggerFactory.getLogger(CryptoProviders.class);

    /** A provider and why it was chosen (for the log line). */
    public record Selection(CryptoProvider provider, String reason) {
    }

    private CryptoProviders() {
    }

    /** The process's provider; an invalid setting makes this throw {@link IllegalStateException} with the setting's message. */
    public static CryptoProvider active() {
        Object chosen = Chosen.CHOICE;
        if (chosen instanceof Selection s) {
            return s.provider();
        }
        throw new IllegalStateException(((CiJwtException) chosen).userMessage());
    }

    /** The process's provider, or the setting's error ({@link ErrorCode#SETTING_INVALID}) for an invalid setting. */
    public static CryptoProvider require() throws CiJwtException {
        Object chosen = Chosen.CHOICE;
        if (chosen instanceof Selection s) {
            return s.provider();
        }
        CiJwtException e = (CiJwtException) chosen;
        throw new CiJwtException(e.code(), e.getMessage());
    }

    /** The Bouncy Castle fallback, always available. */
    public static CryptoProvider bouncyCastle() {
        return BcLightweightProvider.INSTANCE;
    }

    /** AWS-LC through ACCP, if its native library loaded in this process. */
    public static Optional<CryptoProvider> accp() {
        return Accp.LOADED instanceof CryptoProvider p ? Optional.of(p) : Optional.empty();
    }

    /** Why ACCP cannot be used here, if it cannot. */
    public static Optional<String> accpProblem() {
        return Accp.LOADED instanceof String problem ? Optional.of(problem) : Optional.empty();
    }

    /**
     * Applies a setting's value ({@code null} or blank means auto); {@code settingName} is how the
     * user gave it, for the messages.
     */
    public static Selection select(String value, String settingName) throws CiJwtException {
        String v = value == null || value.isBlank() ? "auto" : value.strip().toLowerCase(Locale.ROOT);
        switch (v) {
            case "bc":
                return new Selection(bouncyCastle(), settingName + "=bc");
            case "accp":
                return accp().map(p -> new Selection(p, settingName + "=accp")).orElseThrow(() -> new CiJwtException(
                        ErrorCode.SETTING_INVALID, settingName + " is accp, but the Amazon Corretto Crypto Provider cannot be used here: "
                        + accpProblem().orElse("unknown") + "; set it to auto or bc"));
            case "auto":
                return accp().map(p -> new Selection(p, "auto: its native library loaded"))
                        .orElseGet(() -> new Selection(bouncyCastle(), "auto, ACCP not used: " + accpProblem().orElse("unknown")));
            default:
                throw new CiJwtException(ErrorCode.SETTING_INVALID,
                        settingName + " is '" + value.strip() + "', but must be auto, accp or bc");
        }
    }

    private static Object choose() {
        String property = System.getProperty(PROPERTY);
        String value = property != null ? property : System.getenv(ENV);
        String name = property != null ? "-D" + PROPERTY : ENV;
        try {
            Selection s = select(value, name);
            String line = "crypto provider: " + s.provider().name() + " (" + s.provider().description() + "; " + s.reason() + ")";
            if ("bc".equalsIgnoreCase(value == null ? "" : value.strip())) {
                // Asked for by name (the launcher does so for one-shot commands): nothing to tell.
                LOG.debug(line);
            } else {
                LOG.info(line);
            }
            return s;
        } catch (CiJwtException e) {
            return e;
        }
    }

    /** Holder idiom: the choice is made on first use, exactly once, without locking afterwards. */
    private static final class Chosen {
        static final Object CHOICE = choose();
    }

    /** Loaded on first use only: unpacking and loading the native library costs a fifth of a second. */
    private static final class Accp {
        static final Object LOADED = load();

        private static Object load() {
            try {
                AmazonCorrettoCryptoProvider p = AmazonCorrettoCryptoProvider.INSTANCE;
                Throwable error = p.getLoadingError();
                if (error != null) {
                    return "its native library did not load (" + error + ")";
                }
                p.assertHealthy();
                return new AccpProvider(p);
            } catch (LinkageError | RuntimeException e) {
                return "it cannot be used here (" + e + ")";
            }
        }
    }
}
