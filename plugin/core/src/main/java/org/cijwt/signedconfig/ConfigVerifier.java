package org.cijwt.signedconfig;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ConfigClaims;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;
import org.cijwt.keys.KeyRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's check of a task's signed config at pre-flight: the signed step that travels with
 * the build metadata is verified against the operator's pinned keys, and what the container will
 * run is compared with it. Under {@link Behavior#BLOCK} anything but a verified config refuses the
 * delivery; under {@link Behavior#WARN} the token is delivered and says what was found.
 */
public final class ConfigVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigVerifier.class);

    /** {@code verification_failure_behavior}: what an unverified config does to the delivery. */
    public enum Behavior {
        BLOCK, WARN;

        /** Reads {@code block} or {@code warn}, as the setting is written. */
        public static Behavior parse(String text, String setting) throws CiJwtException {
            for (Behavior b : values()) {
                if (b.name().toLowerCase(Locale.ROOT).equals(text)) {
                    return b;
                }
            }
            throw new CiJwtException(ErrorCode.SETTING_INVALID, setting + " must be block or warn");
        }
    }

    private final Supplier<KeyRing> pinned;
    private final Behavior behavior;
    private final Map<String, Behavior> perTeam;
    private final Set<String> allowedEnv;
    private final AtomicLong warned = new AtomicLong();

    /**
     * @param pinned     the verification keys (JWKS or PEM files, reloaded like other key files)
     * @param behavior   the worker's default
     * @param perTeam    the operator's overrides by team name (a pipeline can never set these)
     * @param allowedEnv variables the worker itself adds to every container, beyond {@link ExecutionCheck#RUNTIME_ENV}
     */
    public ConfigVerifier(Supplier<KeyRing> pinned, Behavior behavior, Map<String, Behavior> perTeam, Set<String> allowedEnv) {
        this.pinned = pinned;
        this.behavior = behavior;
        this.perTeam = Map.copyOf(perTeam);
        this.allowedEnv = Set.copyOf(allowedEnv);
    }

    /** Unverified configs let through under warn so far (for a metric). */
    public long warnings() {
        return warned.get();
    }

    /**
     * The build metadata with its config claims, or a refusal under block.
     *
     * @param process what the container will run, from its runtime spec; compared with the signed step
     * @throws CiJwtException {@link ErrorCode#CONFIG_NOT_VERIFIED} naming the step and the reason, under block
     */
    public BuildMetadata check(BuildMetadata metadata, ExecutionCheck.Process process) throws CiJwtException {
        ConfigVerification v = verify(metadata, process);
        Behavior b = perTeam.getOrDefault(metadata.team(), behavior);
        if (!v.isVerified()) {
            String reason = v.reason().orElse("not verified");
            if (b == Behavior.BLOCK) {
                throw new CiJwtException(ErrorCode.CONFIG_NOT_VERIFIED, "task config not verified, no token delivered: " + reason);
            }
            warned.incrementAndGet();
            LOG.warn("task config not verified, token delivered with config_verification={} (warn): {}", v.status().claim(), reason);
        }
        return metadata.withConfig(new ConfigClaims(Optional.ofNullable(v.digest()), v.status().claim(), v.signer()));
    }

    /**
     * At a refresh (and at an agent's restart): whether a config verified at delivery is still
     * signed by a key pinned now. The container's process was compared at delivery and does not
     * change; the pinned keys may. When the signer has been unpinned, no new token says it verified
     * the config: under block the refresh is refused (the container keeps the token it has until
     * that expires), under warn the new token says {@code config_verification: failed} and names no
     * signer.
     *
     * @return the metadata to mint with: unchanged, or with degraded config claims under warn
     * @throws CiJwtException {@link ErrorCode#CONFIG_NOT_VERIFIED} under block when the signer is gone
     */
    public BuildMetadata recheck(BuildMetadata md) throws CiJwtException {
        ConfigClaims delivered = md.config();
        if (delivered == null || !ConfigVerification.Status.VERIFIED.claim().equals(delivered.verification())) {
            return md;
        }
        Optional<String> still = signerNow(md);
        if (still.isPresent() && still.equals(delivered.signer())) {
            return md;
        }
        String reason = md.team() + "/" + md.pipeline() + " job " + md.job() + ", task " + md.task() + ": its signer "
                + delivered.signer().orElse("?") + " is no longer pinned";
        if (perTeam.getOrDefault(md.team(), behavior) == Behavior.BLOCK) {
            throw new CiJwtException(ErrorCode.CONFIG_NOT_VERIFIED, "task config no longer verified, no fresh token: " + reason);
        }
        warned.incrementAndGet();
        LOG.warn("task config no longer verified, token refreshed with config_verification=failed (warn): {}", reason);
        return md.withConfig(new ConfigClaims(delivered.digest(), ConfigVerification.Status.FAILED.claim(), Optional.empty()));
    }

    /** The signer of the build's signed step by the keys pinned now, if it still verifies. */
    private Optional<String> signerNow(BuildMetadata md) throws CiJwtException {
        Optional<JsonNode> step = md.signedStepNode();
        if (step.isEmpty() || md.pipeline() == null || md.job() == null) {
            return Optional.empty();
        }
        SignedFields fields;
        try {
            fields = SignedFields.of(md.team(), md.pipeline(), md.job(), step.get());
        } catch (CiJwtException e) {
            return Optional.empty();
        }
        JsonNode sig = step.get().path(PipelineSigning.SIGNATURE_FIELD);
        ConfigVerification v = StepSignatures.verify(fields, sig.isTextual() ? sig.asText() : null, pinned.get());
        return v.isVerified() ? v.signer() : Optional.empty();
    }

    private ConfigVerification verify(BuildMetadata md, ExecutionCheck.Process process) throws CiJwtException {
        Optional<JsonNode> step = md.signedStepNode();
        String where = md.team() + "/" + md.pipeline() + " job " + md.job() + ", task " + md.task();
        if (step.isEmpty()) {
            return new ConfigVerification(ConfigVerification.Status.UNSIGNED, Optional.of(where + ": unsigned (no signed_step)"),
                    null, Optional.empty());
        }
        if (md.pipeline() == null || md.job() == null) {
            return ConfigVerification.failed(null, where + ": a signed step needs the build's pipeline and job");
        }
        SignedFields fields;
        try {
            fields = SignedFields.of(md.team(), md.pipeline(), md.job(), step.get());
        } catch (CiJwtException e) {
            return ConfigVerification.failed(null, e.getMessage());
        }
        if (md.task() != null && !md.task().equals(fields.task())) {
            return ConfigVerification.failed(fields.digest(), where + ": the signed step is task "
                    + Printable.of(fields.task()) + ", not this task");
        }
        JsonNode sig = step.get().path(PipelineSigning.SIGNATURE_FIELD);
        ConfigVerification v = StepSignatures.verify(fields, sig.isTextual() ? sig.asText() : null, pinned.get());
        if (!v.isVerified()) {
            return v;
        }
        Optional<String> differs = ExecutionCheck.mismatch(step.get(), process, allowedEnv);
        return differs.isPresent() ? ConfigVerification.failed(v.digest(), fields.where() + ": " + differs.get()) : v;
    }
}
