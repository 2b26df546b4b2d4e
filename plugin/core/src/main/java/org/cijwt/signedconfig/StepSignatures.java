package org.cijwt.signedconfig;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import java.text.ParseException;
import java.util.Map;
import java.util.Optional;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.SigningKey;

/**
 * Signs and verifies task steps: a JWS with a detached payload (RFC 7515 appendix F) over the
 * step's {@link SignedFields}, the signing key's kid in the protected header, and, also in the
 * protected header, where it was signed for ({@value #CONTEXT_HEADER}) so that a step copied into
 * another pipeline is reported as such rather than as a bad signature.
 */
public final class StepSignatures {
    /** Protected-header parameter naming the team, pipeline, job and task a step was signed for. */
    public static final String CONTEXT_HEADER = "cijwt_step";

    private static final String BAD_SIGNATURE = "bad signature: the task config or a signed step field differs from what was signed";

    private StepSignatures() {
    }

    /** The detached compact JWS ({@code header..signature}) of {@code fields} made with {@code key}. */
    public static String sign(SignedFields fields, SigningKey key) throws CiJwtException {
        JWSHeader header = new JWSHeader.Builder(key.algorithm().jws()).keyID(key.kid())
                .customParam(CONTEXT_HEADER, context(fields)).build();
        JWSObject jws = new JWSObject(header, new Payload(fields.canonicalJson()));
        try {
            jws.sign(key.signer());
        } catch (JOSEException e) {
            throw new CiJwtException(ErrorCode.KEY_MALFORMED, "key '" + key.kid() + "' cannot sign the step " + fields.where());
        }
        return jws.serialize(true);
    }

    /**
     * Checks {@code signature} over the signed fields of the step as it is about to run, with the
     * pinned keys only (never a key named or carried by the signature itself).
     */
    public static ConfigVerification verify(SignedFields fields, String signature, KeyRing pinned) {
        String digest = fields.digest();
        if (signature == null || signature.isBlank()) {
            return ConfigVerification.unsigned(digest, fields.where() + ": unsigned");
        }
        JWSObject jws;
        try {
            jws = JWSObject.parse(signature, new Payload(fields.canonicalJson()));
        } catch (ParseException e) {
            return ConfigVerification.failed(digest, fields.where() + ": signature is not a detached compact JWS");
        }
        JWSHeader header = jws.getHeader();
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
            return ConfigVerification.failed(digest, fields.where() + ": signature has critical header parameters");
        }
        Optional<SigningAlgorithm> alg = SigningAlgorithm.ofHeader(header.getAlgorithm());
        if (alg.isEmpty()) {
            return ConfigVerification.failed(digest, fields.where() + ": signature algorithm is not allowed");
        }
        String kid = header.getKeyID();
        Optional<KeyRing.PublishedKey> key = kid == null ? Optional.empty() : pinned.publishedKey(kid);
        if (key.isEmpty() || key.get().entry().algorithm() != alg.get()) {
            return ConfigVerification.failed(digest, fields.where() + ": signed by a key that is not pinned (kid "
                    + Printable.of(kid) + ")");
        }
        try {
            if (jws.verify(key.get().verifier())) {
                return ConfigVerification.verified(digest, KeyEntry.thumbprint(key.get().publicJwk()));
            }
        } catch (JOSEException e) {
            return ConfigVerification.failed(digest, fields.where() + ": signature cannot be checked");
        }
        return ConfigVerification.failed(digest, fields.where() + ": " + mismatchReason(fields, signature, key.get()));
    }

    /**
     * Why a signature by a pinned key does not match: if it verifies for the place its header
     * names, the step was copied from there; otherwise the signed fields were changed.
     */
    private static String mismatchReason(SignedFields fields, String signature, KeyRing.PublishedKey key) {
        try {
            JWSObject unverified = JWSObject.parse(signature, new Payload(fields.canonicalJson()));
            if (unverified.getHeader().getCustomParam(CONTEXT_HEADER) instanceof Map<?, ?> ctx
                    && text(ctx.get("team")) != null && text(ctx.get("pipeline")) != null
                    && text(ctx.get("job")) != null && text(ctx.get("task")) != null) {
                SignedFields there = fields.forContext(text(ctx.get("team")), text(ctx.get("pipeline")),
                        text(ctx.get("job")), text(ctx.get("task")));
                if (JWSObject.parse(signature, new Payload(there.canonicalJson())).verify(key.verifier())) {
                    return "replayed: signed for " + Printable.of(there.team()) + "/" + Printable.of(there.pipeline())
                            + " job " + Printable.of(there.job()) + ", task " + Printable.of(there.task());
                }
            }
        } catch (ParseException | JOSEException | CiJwtException e) {
            return BAD_SIGNATURE + " (" + e.getClass().getSimpleName() + " while checking for a replay)";
        }
        return BAD_SIGNATURE;
    }

    private static Map<String, Object> context(SignedFields fields) {
        return Map.of("team", fields.team(), "pipeline", fields.pipeline(), "job", fields.job(), "task", fields.task());
    }

    private static String text(Object value) {
        return value instanceof String s ? s : null;
    }

}
