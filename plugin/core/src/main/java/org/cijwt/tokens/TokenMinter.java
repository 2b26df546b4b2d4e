package org.cijwt.tokens;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.util.Base64URL;
import java.time.Clock;
import java.time.Instant;
import java.util.function.Supplier;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsAssembler;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.JwsCompact;
import org.cijwt.jose.provider.RandomBytes;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.SigningKey;

/** Mints a signed JWT for a build with the key ring's active key for the policy's algorithm. */
public final class TokenMinter {
    private static final int JTI_BYTES = 16;

    private final Supplier<KeyRing> keys;
    private final Clock clock;

    public TokenMinter(Supplier<KeyRing> keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    public MintedToken mint(BuildMetadata metadata, ClaimsPolicy policy) throws CiJwtException {
        SigningKey key = keys.get().requireSigner(policy.algorithm());
        Instant now = clock.instant();
        ClaimsAssembler.Assembled assembled = ClaimsAssembler.assemble(metadata, policy, now, newJti());
        String compact;
        try {
            compact = JwsCompact.sign(key.signer(), key.header(), assembled.claims());
        } catch (JOSEException e) {
            if (e.getCause() instanceof CiJwtException remote) {
                // A remote signer (Vault Transit) says what failed, with its own code.
                throw remote;
            }
            throw new CiJwtException(ErrorCode.KEY_SERVICE_FAILED, "signing with " + key + " failed: " + e.getMessage());
        }
        return new MintedToken(compact, assembled.claims(), key.kid(), key.algorithm(),
                assembled.claims().getExpirationTime().toInstant(), assembled.claims().getIssueTime().toInstant(),
                assembled.warnings());
    }

    /** 128 random bits, base64url: unguessable and unique enough for replay caches. */
    static String newJti() {
        byte[] b = new byte[JTI_BYTES];
        RandomBytes.fill(b); // one generator per thread: minting threads share no lock
        return Base64URL.encode(b).toString();
    }
}
