package org.cijwt.vault.transit;

import com.nimbusds.jose.JOSEException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.JwsFactory;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.SigningKey;
import org.cijwt.vault.client.Deadline;
import org.cijwt.vault.client.VaultFailure;
import org.cijwt.vault.client.VaultTokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys that never leave Vault: {@code --keys transit:MOUNT/KEY}. Each load reads the key's versions
 * and public keys from {@code MOUNT/keys/KEY}; the ring publishes every version from
 * {@code min_decryption_version} up (kid: the RFC 7638 thumbprint of the version's public key) and
 * signs through {@code MOUNT/sign/KEY} with the version {@link TransitPlan} picks, named explicitly.
 *
 * <p>The source asks to be loaded again every {@code poll_interval} and whenever a version is due to
 * start signing or to retire, so a rotation in Vault is picked up without a restart. When Vault
 * cannot be read the load fails and a {@link org.cijwt.keys.ReloadingKeyRing} keeps the last ring
 * (and says so in its reload error); the next try comes within a few seconds.
 */
public final class TransitKeySource implements KeySource, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TransitKeySource.class);
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(5);

    private final TransitKeyName name;
    private final TransitSettings settings;
    private final Clock clock;
    private final TransitClient client;
    private final NavigableMap<Integer, TransitKeyInfo.Version> seen = new TreeMap<>();
    private final Map<Integer, SigningKey> signingKeys = new HashMap<>();
    private SignBatcher batcher;
    private SigningAlgorithm algorithm;
    private volatile Instant nextChange;
    private String lastSummary;

    public TransitKeySource(TransitKeyName name, TransitSettings settings, Clock clock) throws CiJwtException {
        this.name = name;
        this.settings = settings;
        this.clock = clock;
        this.client = new TransitClient(name, settings);
    }

    public TransitKeyName name() {
        return name;
    }

    public TransitSettings settings() {
        return settings;
    }

    /** Vault HTTP requests so far (retries included), for tests that check a burst was batched. */
    long requestCount() {
        return client.http().requestCount();
    }

    /** The token manager, for tests of renewal. */
    VaultTokens tokens() {
        return client.tokens();
    }

    @Override
    public synchronized KeyRing load() throws CiJwtException {
        try {
            return loadOnce();
        } catch (CiJwtException e) {
            Instant retry = clock.instant().plus(RETRY_AFTER_FAILURE.compareTo(settings.pollInterval()) < 0
                    ? RETRY_AFTER_FAILURE : settings.pollInterval());
            nextChange = retry;
            throw e;
        }
    }

    private KeyRing loadOnce() throws CiJwtException {
        String origin = describe();
        TransitKeyInfo info = TransitKeyInfo.parse(client.readKey(Deadline.after(settings.timeout())), origin);
        if (algorithm != null && algorithm != info.algorithm()) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, origin + " changed its type to " + info.type()
                    + "; restart ci-jwt to sign with it");
        }
        algorithm = info.algorithm();
        if (batcher == null) {
            batcher = new SignBatcher(client, algorithm, settings);
        }
        Instant now = clock.instant();
        TransitPlan plan = TransitPlan.plan(info, seen, now, settings, origin);
        List<KeyEntry> published = new ArrayList<>();
        KeyEntry signerEntry = null;
        for (TransitPlan.Published p : plan.published()) {
            KeyEntry entry = KeyEntry.of(p.version().publicKey(), null, origin + " version " + p.version().number())
                    .withSchedule(p.signsFrom(), p.retiresAt());
            published.add(entry);
            if (p.version().number() == plan.signer().number()) {
                signerEntry = entry;
            }
        }
        SigningKey signer = signingKey(plan.signer(), signerEntry, origin);
        signingKeys.keySet().removeIf(v -> !seen.containsKey(v));
        nextChange = plan.nextChange();
        report(plan, signer, origin);
        return KeyRing.ofSigners(List.of(signer), published, origin);
    }

    /** One signing key per version, kept across loads: its signer holds nothing but the version number. */
    private SigningKey signingKey(TransitKeyInfo.Version version, KeyEntry entry, String origin) throws CiJwtException {
        SigningKey known = signingKeys.get(version.number());
        if (known != null && known.kid().equals(entry.kid())) {
            return known;
        }
        try {
            TransitSigner signer = new TransitSigner(batcher, version.number(), algorithm,
                    JwsFactory.verifier(algorithm, entry.published()), origin);
            SigningKey key = SigningKey.remote(entry, signer, origin);
            signingKeys.put(version.number(), key);
            return key;
        } catch (JOSEException e) {
            throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, origin + " version " + version.number()
                    + " has a public key that cannot verify " + algorithm);
        }
    }

    private void report(TransitPlan plan, SigningKey signer, String origin) {
        List<String> versions = plan.published().stream().map(p -> "v" + p.version().number()
                + (p.retiresAt() != null ? " (retiring " + p.retiresAt() + ")" : "")).toList();
        String summary = "version " + plan.signer().number() + " signs (kid " + signer.kid() + "), published " + versions;
        if (summary.equals(lastSummary)) {
            return;
        }
        lastSummary = summary;
        if (plan.signerFresh() && plan.published().size() > 1) {
            LOG.warn("{}: {}; it signs before publish_ahead ({}) has passed because no older version may sign",
                    origin, summary, VaultFailure.seconds(settings.publishAhead()));
        } else {
            LOG.info("{}: {}", origin, summary);
        }
    }

    @Override
    public Instant nextScheduledChange() {
        return nextChange;
    }

    @Override
    public String describe() {
        return "transit key " + name + " at " + client.address();
    }

    /** Stops the token renewer and the signing threads (both are daemons, so a process may also just exit). */
    @Override
    public synchronized void close() {
        if (batcher != null) {
            batcher.close();
        }
        client.close();
    }
}
