package org.cijwt.claims;

import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.cijwt.errors.CiJwtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns build metadata and a policy into the claims of one token. */
public final class ClaimsAssembler {
    /** GCP workload identity federation refuses a mapped attribute longer than this. */
    public static final int SUB_WARN_BYTES = 127;
    private static final Logger LOG = LoggerFactory.getLogger(ClaimsAssembler.class);

    private ClaimsAssembler() {
    }

    /** The claims and any warnings about them (a warning never stops minting). */
    public record Assembled(JWTClaimsSet claims, List<String> warnings) {
    }

    /**
     * Assembles claims issued at {@code now} (truncated to seconds, as JWT NumericDate is); the
     * token is valid from {@code now - nbf skew} to {@code now + ttl}.
     */
    public static Assembled assemble(BuildMetadata md, ClaimsPolicy policy, Instant now, String jti) throws CiJwtException {
        Instant iat = Instant.ofEpochSecond(now.getEpochSecond());
        String sub = policy.subject().subjectFor(md);
        List<String> warnings = new ArrayList<>();
        int subBytes = sub.getBytes(StandardCharsets.UTF_8).length;
        if (subBytes > SUB_WARN_BYTES) {
            String w = "sub is " + subBytes + " bytes, over the " + SUB_WARN_BYTES
                    + "-byte limit GCP applies to mapped attributes; choose a narrower subject format";
            warnings.add(w);
            LOG.warn(w);
        }
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
                .issuer(policy.issuer())
                .subject(sub)
                .audience(policy.audiences())
                .expirationTime(Date.from(iat.plus(policy.ttl())))
                .notBeforeTime(Date.from(iat.minus(policy.notBeforeSkew())))
                .issueTime(Date.from(iat))
                .jwtID(jti);
        b.claim(ClaimNames.TEAM, md.team());
        put(b, ClaimNames.TEAM_ID, md.teamId());
        put(b, ClaimNames.PIPELINE, md.pipeline());
        put(b, ClaimNames.PIPELINE_ID, md.pipelineId());
        if (!md.instanceVars().isEmpty()) {
            b.claim(ClaimNames.INSTANCE_VARS, md.instanceVars());
        }
        put(b, ClaimNames.JOB, md.job());
        put(b, ClaimNames.JOB_ID, md.jobId());
        put(b, ClaimNames.TASK, md.task());
        b.claim(ClaimNames.BUILD_ID, md.buildId());
        put(b, ClaimNames.BUILD_NAME, md.buildName());
        put(b, ClaimNames.STEP_TYPE, md.stepType());
        put(b, ClaimNames.WORKER, md.worker());
        if (md.config() != null) {
            md.config().digest().ifPresent(d -> b.claim(ClaimNames.CONFIG_DIGEST, d));
            b.claim(ClaimNames.CONFIG_VERIFICATION, md.config().verification());
            md.config().signer().ifPresent(s -> b.claim(ClaimNames.CONFIG_SIGNER, s));
        }
        for (Map.Entry<String, Object> e : policy.extraClaims().entrySet()) {
            b.claim(e.getKey(), e.getValue());
        }
        return new Assembled(b.build(), List.copyOf(warnings));
    }

    private static void put(JWTClaimsSet.Builder b, String name, String value) {
        if (value != null && !value.isEmpty()) {
            b.claim(name, value);
        }
    }
}
