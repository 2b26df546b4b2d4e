package org.cijwt.delivery;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.delivery.TokenProfile.TokenConfig;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.FileOwner;
import org.cijwt.io.PrivateDirectories;
import org.cijwt.io.SecureFiles;
import org.cijwt.keys.KeyRing;
import org.cijwt.signedconfig.ConfigVerifier;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;

/**
 * Container pre-flight: mints a build's tokens, writes them into a new per-container host directory that only
 * the task's user can read, and adds the variables and the read-only mount of that directory to the
 * container's OCI runtime spec.
 *
 * <p>What was delivered is kept in a {@link DeliveryRecord} in ci-jwt's own state directory
 * ({@link DeliveryRecords}), and clean-up and a repeated delivery undo exactly what that record says: never
 * what {@code config.json} says, because the container's owner can write {@code config.json}.
 *
 * <p>Order matters for "nothing half-written": every check is made and every token minted before anything is
 * written; then the record is filed as pending, the token directory written, {@code config.json} replaced and
 * the record marked delivered. A failure or a crash at any point leaves a record from which
 * {@link #cleanup(DeliveryRecords, String)} removes whatever part was written.
 *
 * <p>Only the pending record is forced to disk (one file and its directory): a crash of the process loses
 * nothing the kernel was given, and after a power cut, when no container runs on, that record is enough to
 * undo whatever part of the rest reached the disk.
 */
public final class TokenDelivery {

    /** The token directory's name inside the bundle when the caller does not choose one. */
    public static final String DEFAULT_TOKEN_DIRECTORY = "ci-jwt-tokens";

    private final TokenMinter minter;
    private final Clock clock;
    private final DeliveryRecords records;
    private final ConfigVerifier verifier;

    /**
     * A pre-flight that signs with the ring's active keys, dates tokens by {@code clock} and keeps its
     * record of every delivery in {@code records}.
     */
    public TokenDelivery(Supplier<KeyRing> keys, Clock clock, DeliveryRecords records) {
        this(keys, clock, records, null);
    }

    /**
     * As above, and every delivery into a bundle first checks the task's signed config with
     * {@code verifier} (null: no check, and the tokens carry no config claims).
     */
    public TokenDelivery(Supplier<KeyRing> keys, Clock clock, DeliveryRecords records, ConfigVerifier verifier) {
        this.verifier = verifier;
        Objects.requireNonNull(keys, "keys");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.records = Objects.requireNonNull(records, "records");
        this.minter = new TokenMinter(keys, clock);
    }

    /**
     * What pre-flight delivered: the host directory, the plan (variables and mount), the tokens by name
     * and the warnings for task variables that kept their own value.
     */
    public record Delivery(TokenDirectory directory, DeliveryPlan plan, Map<String, MintedToken> tokens,
                           List<DeliveryWarning> warnings, BuildMetadata metadata) {

        public Delivery {
            Objects.requireNonNull(directory, "directory");
            Objects.requireNonNull(plan, "plan");
            tokens = Collections.unmodifiableMap(new LinkedHashMap<>(tokens));
            warnings = List.copyOf(warnings);
        }

        /** The default token ({@value TokenProfile#DEFAULT_TOKEN}). */
        public MintedToken defaultToken() {
            return tokens.get(TokenProfile.DEFAULT_TOKEN);
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

    /** The state directory this pre-flight keeps its delivery records in. */
    public DeliveryRecords records() {
        return records;
    }

    /** Mints one configured token for the build. */
    public MintedToken mint(BuildMetadata metadata, TokenConfig token) throws CiJwtException {
        return minter.mint(metadata, token.policy());
    }

    /**
     * Mints a fresh token for a delivered container: the signed config it was delivered with is
     * checked again against the keys pinned now ({@link ConfigVerifier#recheck}), so a token minted
     * after its signer was unpinned never says it verified the config.
     */
    public MintedToken refresh(BuildMetadata delivered, TokenConfig token) throws CiJwtException {
        return mint(verifier == null ? delivered : verifier.recheck(delivered), token);
    }

    /**
     * Mints a token a container asked for on its socket: the delivered build's claims with the
     * default token's subject, algorithm and extra claims, the asked audiences and lifetime, and a
     * fresh {@code jti}; the signed config is checked again as at a refresh. What may be asked is
     * the caller's to check ({@link TokenRequestPolicy}).
     */
    public MintedToken mintOnRequest(BuildMetadata delivered, TokenProfile profile, java.util.List<String> audiences,
                                     java.time.Duration ttl) throws CiJwtException {
        org.cijwt.claims.ClaimsPolicy policy = profile.defaultToken().policy().toBuilder().audiences(audiences).ttl(ttl).build();
        return refresh(delivered, new TokenConfig(TokenProfile.DEFAULT_TOKEN, policy, false));
    }

    /** Mints every configured token, in configuration order. */
    public Map<String, MintedToken> mintAll(BuildMetadata metadata, TokenProfile config) throws CiJwtException {
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
    public static DeliveryPlan plan(Path tokenDirectory, TokenProfile config, Map<String, MintedToken> tokens) {
        MintedToken first = tokens.get(TokenProfile.DEFAULT_TOKEN);
        if (first == null) {
            throw new IllegalArgumentException("no minted token named " + TokenProfile.DEFAULT_TOKEN);
        }
        DeliveryPlan plan = DeliveryPlan.mountOnly(tokenDirectory.toAbsolutePath().normalize())
                .withVariable(DeliveryPlan.TOKEN_VARIABLE, first.compact())
                .withVariable(DeliveryPlan.TOKEN_FILE_VARIABLE, DeliveryPlan.containerPathOf(TokenProfile.DEFAULT_TOKEN))
                .withClient(config.requests().isPresent());
        Optional<TokenConfig> aws = config.awsToken();
        if (aws.isPresent()) {
            plan = plan.withVariable(TokenProfile.AWS_TOKEN_FILE_VARIABLE, aws.get().containerPath());
        }
        return plan;
    }

    /**
     * Mints the tokens and writes them into the new directory {@code tokenDirectory}, readable by this process's
     * user only, without touching any runtime spec or record (the demo's plain-process fallback).
     */
    public Delivery prepare(BuildMetadata metadata, TokenProfile config, Path tokenDirectory) throws CiJwtException {
        FileOwner self;
        try {
            self = FileOwner.ofThisProcess();
        } catch (IOException e) {
            throw new DeliveryException("cannot tell which user ci-jwt runs as: " + SecureFiles.reason(e), e);
        }
        return prepare(metadata, config, tokenDirectory, self);
    }

    /**
     * Mints the tokens and writes them into the new directory {@code tokenDirectory} for a task that runs as host
     * user {@code reader}, without touching any runtime spec or record, for callers that build the container
     * themselves; removing the directory is theirs too ({@link TokenDirectory#delete()}).
     *
     * @throws DeliveryException ({@link ErrorCode#TOKEN_DIR_REFUSED}) when {@code tokenDirectory} exists
     */
    public Delivery prepare(BuildMetadata metadata, TokenProfile config, Path tokenDirectory, FileOwner reader)
            throws CiJwtException {
        Map<String, MintedToken> tokens = mintAll(metadata, config);
        DeliveryPlan plan = plan(tokenDirectory, config, tokens);
        TokenAccess access = TokenAccess.forReader(reader);
        refuseTokenDirectory(plan.tokenDirectory(), Optional.empty());
        TokenDirectory directory = createDirectory(plan.tokenDirectory(), access);
        try {
            writeAll(directory, tokens);
        } catch (DeliveryException e) {
            try {
                directory.delete();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return new Delivery(directory, plan, tokens, List.of(), metadata);
    }

    /**
     * Full pre-flight for an OCI bundle, recorded under {@link DeliveryRecords#bundleKey the bundle's key}.
     *
     * @see #deliver(String, BuildMetadata, TokenProfile, Path, Path)
     */
    public Delivery deliver(BuildMetadata metadata, TokenProfile config, Path tokenDirectory, Path bundle)
            throws CiJwtException {
        return deliver(DeliveryRecords.bundleKey(bundle), metadata, config, tokenDirectory, bundle);
    }

    /**
     * Full pre-flight for an OCI bundle: mints the tokens, writes them into the new directory
     * {@code tokenDirectory} (given to the task's host user, see {@link TokenAccess}), patches
     * {@code bundle/config.json} in place, atomically, leaving it 0600, and files the record under {@code key}.
     *
     * <p>Delivering again under the same key first undoes the earlier delivery as its record says; the token
     * directory may then be the one that delivery created.
     *
     * @throws DeliveryException with {@link ErrorCode#BUNDLE_INVALID} (no bundle, no valid spec, a task user
     *     that is not a valid or mapped id), {@link ErrorCode#MOUNT_CONFLICT} (the spec mounts something at or
     *     under the reserved path; the message names both mounts), {@link ErrorCode#TOKEN_DIR_REFUSED}
     *     ({@code tokenDirectory} exists and is not this key's earlier one, or others could replace a directory
     *     above it), {@link ErrorCode#DELIVERY_RECORD_INVALID} (the state directory or the earlier record is not
     *     trustworthy) or {@link ErrorCode#DELIVERY_FAILED} (a file could not be written); nothing is changed
     *     then, or what was is undone
     */
    public Delivery deliver(String key, BuildMetadata metadata, TokenProfile config, Path tokenDirectory, Path bundle)
            throws CiJwtException {
        return deliver(key, metadata, config, tokenDirectory, bundle, Optional.empty());
    }

    /**
     * {@link #deliver(String, BuildMetadata, TokenProfile, Path, Path)}, patching {@code spec} when the caller
     * has already read {@code bundle/config.json} (to learn which build the container is) rather than reading
     * the file a second time.
     */
    public Delivery deliver(String key, BuildMetadata metadata, TokenProfile config, Path tokenDirectory, Path bundle,
            Optional<OciSpec> spec) throws CiJwtException {
        Path bundleDir = existingBundle(bundle);
        Path configJson = bundleDir.resolve(OciSpec.CONFIG_FILE);
        Optional<DeliveryRecord> earlier = records.find(key);
        if (earlier.isPresent() && !earlier.get().bundle().equals(bundleDir)) {
            throw new DeliveryException(ErrorCode.DELIVERY_RECORD_INVALID, "the delivery record of " + key + " is for bundle "
                    + earlier.get().bundle() + ", not " + bundleDir + "; clean that one up first");
        }
        OciSpec current = spec.isPresent() ? spec.get() : OciSpec.read(configJson);
        OciSpec base = earlier.isPresent() ? current.revert(earlier.get().patch()).spec() : current;
        TokenAccess access = TokenAccess.forReader(base.taskUser());
        if (verifier != null) {
            // Before anything is written: a config that is refused leaves no token behind.
            metadata = verifier.check(metadata, base.process());
        }
        Map<String, MintedToken> tokens = mintAll(metadata, config);
        DeliveryPlan plan = plan(tokenDirectory, config, tokens);
        OciSpec.Applied applied = base.apply(plan, bundleDir);
        refuseTokenDirectory(plan.tokenDirectory(), earlier);

        if (earlier.isPresent()) {
            Cleanup undone = undo(records, earlier.get());
            if (Files.exists(plan.tokenDirectory(), LinkOption.NOFOLLOW_LINKS)) {
                throw new DeliveryException(ErrorCode.TOKEN_DIR_REFUSED, "token directory " + plan.tokenDirectory()
                        + " was left in place when the earlier delivery was undone (" + String.join("; ", undone.warnings())
                        + "); remove what ci-jwt did not write, or give another path");
            }
        }
        DeliveryRecord pending = new DeliveryRecord(key, bundleDir, DeliveryRecord.Status.PENDING, plan.tokenDirectory(),
                List.copyOf(tokens.keySet()), access.reader(), applied.patch(), applied.spec().sha256());
        // The one write forced to disk: whatever of the files below a power cut keeps, this record
        // says how to undo it. What follows is atomic for every reader but stays in the page cache.
        records.put(pending, SecureFiles.Durability.SYNCED);
        TokenDirectory directory = null;
        try {
            directory = createDirectory(plan.tokenDirectory(), access);
            writeAll(directory, tokens);
            applied.spec().write(configJson, SecureFiles.PRIVATE);
            records.put(pending.delivered(), SecureFiles.Durability.ATOMIC);
        } catch (DeliveryException e) {
            rollBack(pending, directory != null, e);
            throw e;
        }
        return new Delivery(directory, plan, tokens, applied.warnings(), metadata);
    }

    /** A refresher that re-mints the delivery's tokens with this pre-flight's keys and clock. */
    public TokenRefresher refresher(Delivery delivery, TokenProfile config, RefreshScheduler scheduler,
                                    TokenRefresher.Listener listener) {
        // The delivery's metadata carries the config check's outcome, so refreshed tokens say the same.
        TokenRefresher.Minter again = name -> mint(delivery.metadata(), config.token(name)
                .orElseThrow(() -> new IllegalArgumentException("no configured token named " + name)));
        return new TokenRefresher(delivery.directory(), again, clock, scheduler, listener);
    }

    /**
     * What a clean-up did: whether {@code config.json} changed, which token directory is gone, and what it
     * left as found (entries changed since the delivery, files ci-jwt did not write).
     */
    public record Cleanup(boolean specReverted, Optional<Path> removedDirectory, List<String> warnings) {

        /** The clean-up of a delivery that was never recorded: nothing to do. */
        public static final Cleanup NOTHING = new Cleanup(false, Optional.empty(), List.of());

        public Cleanup {
            Objects.requireNonNull(removedDirectory, "removedDirectory");
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Removes what pre-flight delivered into {@code bundle}, as its delivery record says.
     *
     * @see #cleanup(DeliveryRecords, Path, Path)
     */
    public static Cleanup cleanup(DeliveryRecords records, Path bundle) throws DeliveryException {
        return cleanup(records, bundle, null);
    }

    /**
     * Removes what pre-flight delivered into {@code bundle}, exactly as its delivery record in {@code records}
     * says and nothing that {@code config.json} claims: the token files it wrote and their directory, and from
     * {@code config.json} each variable and mount it added that is still as it was written. A bundle with no
     * record has nothing to clean up.
     *
     * @param expectedTokenDirectory when given, the token directory the caller believes was used; it must be the recorded one
     * @throws DeliveryException ({@link ErrorCode#DELIVERY_RECORD_INVALID}) when the record is not trustworthy,
     *     names another token directory than {@code expectedTokenDirectory}, or is missing while {@code config.json}
     *     mounts something at the token path (a delivery made with another state directory, or none by ci-jwt);
     *     nothing is changed then
     */
    public static Cleanup cleanup(DeliveryRecords records, Path bundle, Path expectedTokenDirectory)
            throws DeliveryException {
        String key = DeliveryRecords.bundleKey(bundle);
        Optional<DeliveryRecord> record = records.find(key);
        if (record.isEmpty()) {
            Path configJson = DeliveryRecords.realOrAbsolute(bundle).resolve(OciSpec.CONFIG_FILE);
            if (Files.exists(configJson) && OciSpec.read(configJson).mountsTheTokenPath()) {
                throw new DeliveryException(ErrorCode.DELIVERY_RECORD_INVALID, configJson + " mounts something at "
                        + DeliveryPlan.CONTAINER_TOKEN_DIR + " but " + records.directory()
                        + " has no record of a ci-jwt delivery into " + bundle + "; nothing was changed");
            }
            return Cleanup.NOTHING;
        }
        if (expectedTokenDirectory != null
                && !record.get().tokenDirectory().equals(expectedTokenDirectory.toAbsolutePath().normalize())) {
            throw new DeliveryException(ErrorCode.DELIVERY_RECORD_INVALID, "the delivery into " + bundle
                    + " was recorded with token directory " + record.get().tokenDirectory() + ", not "
                    + expectedTokenDirectory.toAbsolutePath().normalize() + "; nothing was changed");
        }
        return undo(records, record.get());
    }

    /**
     * Removes what the delivery filed under {@code key} wrote, as {@link #cleanup(DeliveryRecords, Path, Path)}
     * does; a key with no record has nothing to clean up.
     */
    public static Cleanup cleanup(DeliveryRecords records, String key) throws DeliveryException {
        Optional<DeliveryRecord> record = records.find(key);
        return record.isEmpty() ? Cleanup.NOTHING : undo(records, record.get());
    }

    /**
     * Undoes one recorded delivery: the token files first (they hold the secrets), then the spec entries that
     * still match, then the record. A failure keeps the record, so running the clean-up again finishes it.
     */
    private static Cleanup undo(DeliveryRecords records, DeliveryRecord record) throws DeliveryException {
        List<String> warnings = new ArrayList<>();
        Path dir = record.tokenDirectory();
        Optional<Path> removed = Optional.empty();
        try {
            TokenDirectory.Removal removal = TokenDirectory.removeFiles(dir, record.tokenFiles());
            if (removal.directoryRemoved()) {
                removed = Optional.of(dir);
            }
            if (!removal.leftInPlace().isEmpty()) {
                warnings.add("token directory " + dir + " was left in place: it holds " + String.join(", ",
                        removal.leftInPlace()) + ", which ci-jwt did not write");
            }
        } catch (IOException e) {
            throw new DeliveryException("cannot remove token directory " + dir + ": " + SecureFiles.reason(e), e);
        }
        boolean reverted = false;
        Path configJson = record.bundle().resolve(OciSpec.CONFIG_FILE);
        if (Files.exists(configJson, LinkOption.NOFOLLOW_LINKS)) {
            OciSpec.Reverted result = OciSpec.read(configJson).revert(record.patch());
            if (result.changed()) {
                result.spec().write(configJson);
                reverted = true;
            }
            if (record.status() == DeliveryRecord.Status.DELIVERED && !result.notFound().isEmpty()) {
                warnings.add(configJson + " was changed since ci-jwt patched it; left as found: "
                        + String.join(", ", result.notFound()));
            }
        }
        records.remove(record.key());
        return new Cleanup(reverted, removed, warnings);
    }

    /** Undoes a delivery that failed part way; if that fails too, the pending record stays for a later clean-up. */
    private void rollBack(DeliveryRecord pending, boolean createdDirectory, DeliveryException failure) {
        try {
            if (createdDirectory) {
                undo(records, pending);
            } else {
                // The directory was not ours to remove (it appeared meanwhile) and config.json is not written yet.
                records.remove(pending.key());
            }
        } catch (DeliveryException e) {
            failure.addSuppressed(e);
        }
    }

    private static Path existingBundle(Path bundle) throws DeliveryException {
        if (!Files.isDirectory(bundle)) {
            throw new DeliveryException(ErrorCode.BUNDLE_INVALID, "bundle " + bundle + " is not a directory");
        }
        return DeliveryRecords.realOrAbsolute(bundle);
    }

    /**
     * Refuses a token directory that exists, unless it is the one the earlier delivery under the same key
     * created, and one that others could swap for another because a directory above it is writable by them.
     */
    private static void refuseTokenDirectory(Path dir, Optional<DeliveryRecord> earlier) throws DeliveryException {
        boolean ours = earlier.isPresent() && earlier.get().tokenDirectory().equals(dir);
        if (!ours && Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new DeliveryException(ErrorCode.TOKEN_DIR_REFUSED, "token directory " + dir + " already exists and ci-jwt"
                    + " did not create it for this container; it was left untouched (give a path that does not exist yet)");
        }
        Optional<String> unsafe;
        try {
            unsafe = PrivateDirectories.ancestorWritableByOthers(dir);
        } catch (IOException e) {
            throw new DeliveryException("cannot check the directories above token directory " + dir + ": "
                    + SecureFiles.reason(e), e);
        }
        if (unsafe.isPresent()) {
            throw new DeliveryException(ErrorCode.TOKEN_DIR_REFUSED, "token directory " + dir + " cannot be kept private: "
                    + unsafe.get());
        }
    }

    private static TokenDirectory createDirectory(Path dir, TokenAccess access) throws DeliveryException {
        try {
            return TokenDirectory.create(dir, access);
        } catch (FileAlreadyExistsException e) {
            throw new DeliveryException(ErrorCode.TOKEN_DIR_REFUSED, "token directory " + dir + " appeared while ci-jwt"
                    + " was creating it; it was left untouched");
        } catch (IOException e) {
            throw new DeliveryException("cannot create token directory " + dir + " (" + access + "): "
                    + SecureFiles.reason(e), e);
        }
    }

    private static void writeAll(TokenDirectory directory, Map<String, MintedToken> tokens) throws DeliveryException {
        for (Map.Entry<String, MintedToken> token : tokens.entrySet()) {
            try {
                directory.write(token.getKey(), token.getValue().compact());
            } catch (IOException e) {
                throw new DeliveryException("cannot write token file " + directory.file(token.getKey()) + ": "
                        + SecureFiles.reason(e), e);
            }
        }
    }
}
