package org.cijwt.delivery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.delivery.PreflightConfig.TokenConfig;
import org.cijwt.errors.CiJwtException;
import org.cijwt.io.SecureFiles;
import org.cijwt.keys.KeyRing;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;

/**
 * Container pre-flight: mints a build's tokens, writes them into a per-container host directory and
 * adds the variables and the read-only mount of that directory to the container's OCI runtime spec.
 *
 * <p>Order matters for "nothing half-written": every token is minted and the spec is checked (a
 * conflicting mount is refused) before any file is written, and {@code config.json} is replaced last.
 */
public final class Preflight {

    /** The token directory's name inside the bundle when the caller does not choose one. */
    public static final String DEFAULT_TOKEN_DIRECTORY = "ci-jwt-tokens";

    private final TokenMinter minter;
    private final Clock clock;

    /** A pre-flight that signs with the ring's active keys and dates tokens by {@code clock}. */
    public Preflight(Supplier<KeyRing> keys, Clock clock) {
        Objects.requireNonNull(keys, "keys");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.minter = new TokenMinter(keys, clock);
    }

    /**
     * What pre-flight delivered: the host directory, the plan (variables and mount), the tokens by name
     * and the warnings for task variables that kept their own value.
     */
    public record Delivery(TokenDirectory directory, DeliveryPlan plan, Map<String, MintedToken> tokens,
                           List<DeliveryWarning> warnings) {

        public Delivery {
            Objects.requireNonNull(directory, "directory");
            Objects.requireNonNull(plan, "plan");
            tokens = Collections.unmodifiableMap(new LinkedHashMap<>(tokens));
            warnings = List.copyOf(warnings);
        }

        /** The default token ({@value PreflightConfig#DEFAULT_TOKEN}). */
        public MintedToken defaultToken() {
            return tokens.get(PreflightConfig.DEFAULT_TOKEN);
        }

        @Override
        public String toString() {
            // DeliveryPlan and MintedToken redact themselves; said here so nobody "improves" it.
            return "Delivery[" + directory.path() + ", tokens=" + tokens.values() + ", variables="
                    + plan.environment().keySet() + ", warnings=" + warnings.size() + "]";
        }
    }

    /** The default host token directory of a bundle: {@code <bundle>/}{@value #DEFAULT_TOKEN_DIRECTORY}. */
    public static Path defaultTokenDirectory(Path bundle) {
        return bundle.toAbsolutePath().normalize().resolve(DEFAULT_TOKEN_DIRECTORY);
    }

    /** Mints one configured token for the build. */
    public MintedToken mint(BuildMetadata metadata, TokenConfig token) throws CiJwtException {
        return minter.mint(metadata, token.policy());
    }

    /** Mints every configured token, in configuration order. */
    public Map<String, MintedToken> mintAll(BuildMetadata metadata, PreflightConfig config) throws CiJwtException {
        Map<String, MintedToken> tokens = new LinkedHashMap<>();
        for (TokenConfig token : config.tokens()) {
            tokens.put(token.name(), mint(metadata, token));
        }
        return tokens;
    }

    /**
     * The variables and mount for the tokens: {@code CONCOURSE_CI_JWT} (the default token),
     * {@code CONCOURSE_CI_JWT_FILE} (its container path) and, for a token marked {@code aws},
     * {@code AWS_WEB_IDENTITY_TOKEN_FILE}.
     */
    public static DeliveryPlan plan(Path tokenDirectory, PreflightConfig config, Map<String, MintedToken> tokens) {
        MintedToken first = tokens.get(PreflightConfig.DEFAULT_TOKEN);
        if (first == null) {
            throw new IllegalArgumentException("no minted token named " + PreflightConfig.DEFAULT_TOKEN);
        }
        DeliveryPlan plan = DeliveryPlan.mountOnly(tokenDirectory.toAbsolutePath().normalize())
                .withVariable(DeliveryPlan.TOKEN_VARIABLE, first.compact())
                .withVariable(DeliveryPlan.TOKEN_FILE_VARIABLE, DeliveryPlan.containerPathOf(PreflightConfig.DEFAULT_TOKEN));
        Optional<TokenConfig> aws = config.awsToken();
        if (aws.isPresent()) {
            plan = plan.withVariable(PreflightConfig.AWS_TOKEN_FILE_VARIABLE, aws.get().containerPath());
        }
        return plan;
    }

    /**
     * Mints the tokens and writes them into {@code tokenDirectory} without touching any runtime spec,
     * for callers that build the container themselves (and the demo's plain-process fallback).
     */
    public Delivery prepare(BuildMetadata metadata, PreflightConfig config, Path tokenDirectory) throws CiJwtException {
        Map<String, MintedToken> tokens = mintAll(metadata, config);
        DeliveryPlan plan = plan(tokenDirectory, config, tokens);
        TokenDirectory directory = writeAll(plan.tokenDirectory(), tokens);
        return new Delivery(directory, plan, tokens, List.of());
    }

    /**
     * Full pre-flight for an OCI bundle: mints the tokens, writes them into {@code tokenDirectory}
     * (files 0444, directory 0555) and patches {@code bundle/config.json} in place, atomically, leaving it 0600.
     *
     * <p>Running it again on the same bundle replaces the earlier delivery.
     *
     * @throws DeliveryException when the spec mounts something at or under the reserved path (naming both
     *     mounts), is not an OCI spec, or a file cannot be written; nothing is changed then
     */
    public Delivery deliver(BuildMetadata metadata, PreflightConfig config, Path tokenDirectory, Path bundle)
            throws CiJwtException {
        Path configJson = bundle.resolve(OciSpec.CONFIG_FILE);
        Map<String, MintedToken> tokens = mintAll(metadata, config);
        DeliveryPlan plan = plan(tokenDirectory, config, tokens);
        OciSpec.Applied applied = OciSpec.read(configJson).apply(plan, bundle);
        boolean existed = Files.exists(plan.tokenDirectory(), LinkOption.NOFOLLOW_LINKS);
        TokenDirectory directory = writeAll(plan.tokenDirectory(), tokens);
        try {
            applied.spec().write(configJson, SecureFiles.PRIVATE);
        } catch (DeliveryException e) {
            if (!existed) {
                removeAfterFailure(plan.tokenDirectory(), e);
            }
            throw e;
        }
        return new Delivery(directory, plan, tokens, applied.warnings());
    }

    /** A refresher that re-mints this build's tokens with this pre-flight's keys and clock. */
    public TokenRefresher refresher(Delivery delivery, BuildMetadata metadata, PreflightConfig config,
                                    RefreshScheduler scheduler, TokenRefresher.Listener listener) {
        TokenRefresher.Minter again = name -> mint(metadata, config.token(name)
                .orElseThrow(() -> new IllegalArgumentException("no configured token named " + name)));
        return new TokenRefresher(delivery.directory(), again, clock, scheduler, listener);
    }

    /** What a clean-up did. */
    public record Cleanup(boolean specReverted, Optional<Path> removedDirectory) {
    }

    /**
     * Removes what pre-flight added to a bundle: reverts {@code config.json} if it carries a delivery
     * and removes the token directory, which is {@code tokenDirectory} if given, else the one recorded
     * in the spec, else the default. A bundle whose {@code config.json} is already gone is fine.
     */
    public static Cleanup cleanup(Path bundle, Path tokenDirectory) throws DeliveryException {
        Path configJson = bundle.resolve(OciSpec.CONFIG_FILE);
        boolean reverted = false;
        Optional<Path> recorded = Optional.empty();
        if (Files.exists(configJson)) {
            OciSpec spec = OciSpec.read(configJson);
            recorded = spec.appliedTokenDirectory();
            if (spec.isApplied()) {
                spec.revert().write(configJson);
                reverted = true;
            }
        }
        Path dir = tokenDirectory != null ? tokenDirectory : recorded.orElse(defaultTokenDirectory(bundle));
        try {
            boolean removed = TokenDirectory.removeExisting(dir);
            return new Cleanup(reverted, removed ? Optional.of(dir.toAbsolutePath().normalize()) : Optional.empty());
        } catch (IOException e) {
            throw new DeliveryException("cannot remove token directory " + dir + ": " + SecureFiles.reason(e), e);
        }
    }

    /** Writes every token file; a directory this call created is removed again if a write fails. */
    private static TokenDirectory writeAll(Path dir, Map<String, MintedToken> tokens) throws DeliveryException {
        boolean existed = Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
        TokenDirectory directory;
        try {
            directory = TokenDirectory.create(dir);
        } catch (IOException e) {
            throw new DeliveryException("cannot create token directory " + dir + ": " + SecureFiles.reason(e), e);
        }
        for (Map.Entry<String, MintedToken> token : tokens.entrySet()) {
            try {
                directory.write(token.getKey(), token.getValue().compact());
            } catch (IOException e) {
                DeliveryException failure = new DeliveryException("cannot write token file "
                        + directory.file(token.getKey()) + ": " + SecureFiles.reason(e), e);
                if (!existed) {
                    removeAfterFailure(dir, failure);
                }
                throw failure;
            }
        }
        try {
            directory.retainOnly(tokens.keySet());
        } catch (IOException e) {
            throw new DeliveryException("cannot remove stale token files from " + dir + ": " + SecureFiles.reason(e), e);
        }
        return directory;
    }

    private static void removeAfterFailure(Path dir, DeliveryException failure) {
        try {
            TokenDirectory.removeExisting(dir);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
