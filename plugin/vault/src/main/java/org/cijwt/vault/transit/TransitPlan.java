package org.cijwt.vault.transit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.keys.RotationPolicy;

/**
 * Which version of a Transit key signs and which are published, at one instant. It depends only on
 * what Vault says (versions, their creation times, the version bounds) and on the settings, so
 * every signer and every {@code serve} process of a fleet reaches the same answer on its own.
 *
 * <ul>
 *   <li>A version is published as soon as it is read, and signs from its creation time plus
 *       {@code publish_ahead}: relying parties that cache the JWKS for less than that always know
 *       its key before they meet a token it signed. The newest version whose time has come signs;
 *       when none has (a key just made), the oldest that may sign does, since there is nothing
 *       better.</li>
 *   <li>A version that Vault no longer lists (the operator raised {@code min_decryption_version})
 *       stays published until every token it may have signed has expired: from when the next
 *       version started signing, plus one poll interval (a long-running signer's view may be that
 *       old), plus {@code max_token_ttl}, plus {@link RotationPolicy#RETIRE_MARGIN}. With
 *       {@code retire: immediately} it leaves at once.</li>
 * </ul>
 *
 * @param signer the version that signs now
 * @param published every published version, oldest first, with its schedule
 * @param signerFresh whether the signer signs before its {@code publish_ahead} has passed
 * @param nextChange when the plan changes by itself (a version starts signing or retires), or the next poll
 */
record TransitPlan(TransitKeyInfo.Version signer, List<Published> published, boolean signerFresh, Instant nextChange) {

    /** A published version: from when it signs (or would sign) and when it leaves the JWKS (null: not scheduled). */
    record Published(TransitKeyInfo.Version version, Instant signsFrom, Instant retiresAt) {
    }

    TransitPlan {
        published = List.copyOf(published);
    }

    /**
     * Plans from Vault's answer and the versions seen before (which this call updates: new versions
     * are remembered, retired ones forgotten).
     *
     * @param seen versions read earlier by this process, by number; updated in place
     */
    static TransitPlan plan(TransitKeyInfo info, NavigableMap<Integer, TransitKeyInfo.Version> seen, Instant now,
                            TransitSettings settings, String origin) throws CiJwtException {
        Duration ahead = settings.publishAhead();
        for (TransitKeyInfo.Version v : info.versions()) {
            seen.put(v.number(), v);
        }
        TransitKeyInfo.Version signer = null;
        TransitKeyInfo.Version oldestSignable = null;
        for (TransitKeyInfo.Version v : info.versions()) {
            if (v.number() < info.minSigningVersion()) {
                continue;
            }
            if (oldestSignable == null) {
                oldestSignable = v;
            }
            if (!v.created().plus(ahead).isAfter(now)) {
                signer = v;
            }
        }
        if (oldestSignable == null) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, origin + " has no version that may sign"
                    + " (min_encryption_version " + info.minEncryptionVersion() + ", latest version "
                    + info.latestVersion() + ")");
        }
        boolean fresh = signer == null;
        if (fresh) {
            signer = oldestSignable;
        }

        Map<Integer, TransitKeyInfo.Version> listed = new TreeMap<>();
        info.versions().forEach(v -> listed.put(v.number(), v));
        Instant next = now.plus(settings.pollInterval());
        List<Published> published = new ArrayList<>();
        List<Integer> forget = new ArrayList<>();
        for (TransitKeyInfo.Version v : seen.values()) {
            Instant signsFrom = v.created().plus(ahead);
            if (listed.containsKey(v.number())) {
                published.add(new Published(v, signsFrom, null));
                if (v.number() > signer.number() && signsFrom.isAfter(now) && v.number() >= info.minSigningVersion()) {
                    next = earlier(next, signsFrom);
                }
                continue;
            }
            Instant retiresAt = retiresAt(v, seen, now, settings);
            if (settings.retire() == TransitSettings.Retire.IMMEDIATELY || !retiresAt.isAfter(now)) {
                forget.add(v.number());
                continue;
            }
            published.add(new Published(v, signsFrom, retiresAt));
            next = earlier(next, retiresAt);
        }
        forget.forEach(seen::remove);
        return new TransitPlan(signer, published, fresh, next);
    }

    /** When a version Vault no longer lists may leave: its last token's expiry, see the class comment. */
    static Instant retiresAt(TransitKeyInfo.Version v, NavigableMap<Integer, TransitKeyInfo.Version> seen,
                             Instant now, TransitSettings settings) {
        Map.Entry<Integer, TransitKeyInfo.Version> successor = seen.higherEntry(v.number());
        Instant stoppedSigning = successor == null ? now
                : later(successor.getValue().created().plus(settings.publishAhead()), v.created());
        return stoppedSigning.plus(settings.pollInterval()).plus(settings.maxTokenTtl()).plus(RotationPolicy.RETIRE_MARGIN);
    }

    private static Instant earlier(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
