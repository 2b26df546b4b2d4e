package org.cijwt.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.JwsFactory;
import org.cijwt.jose.SigningAlgorithm;

/**
 * A key that signs: its entry, a ready signer and the JWS header every token it signs carries.
 * Built once per key-ring load, so nothing is parsed or derived per token.
 */
public final class SigningKey {
    private final KeyEntry entry;
    private final JWSSigner signer;
    private final JWSHeader header;

    private SigningKey(KeyEntry entry, JWSSigner signer, JWSHeader header) {
        this.entry = entry;
        this.signer = signer;
        this.header = header;
    }

    /**
     * Prepares a private key for signing and proves it can: a probe is signed and verified with
     * the public half, so a key file whose halves do not match fails at load time rather than as
     * tokens nobody can verify.
     */
    static SigningKey of(KeyEntry entry, String origin) throws CiJwtException {
        entry.requirePrivate(origin, ErrorCode.KEY_NOT_FOUND);
        try {
            JWSSigner signer = JwsFactory.signer(entry.algorithm(), entry.jwk());
            JWSHeader built = new JWSHeader.Builder(entry.algorithm().jws())
                    .type(JOSEObjectType.JWT).keyID(entry.kid()).build();
            // Parsing our own header back caches its base64 form, saving a JSON encode per token.
            JWSHeader header = JWSHeader.parse(built.toBase64URL());
            byte[] probe = "ci-jwt key probe".getBytes(StandardCharsets.US_ASCII);
            Base64URL sig = signer.sign(header, probe);
            if (!JwsFactory.verifier(entry.algorithm(), entry.published()).verify(header, probe, sig)) {
                throw new CiJwtException(ErrorCode.KEY_MALFORMED,
                        origin + ": key '" + entry.kid() + "' has a public half that does not match its private half");
            }
            return new SigningKey(entry, signer, header);
        } catch (JOSEException | ParseException | RuntimeException e) {
            // The provider under the signer may refuse a key with any unchecked exception; to the
            // user it is one thing, a key that cannot sign, named by file and kid.
            throw new CiJwtException(ErrorCode.KEY_MALFORMED,
                    origin + ": key '" + entry.kid() + "' cannot sign " + entry.algorithm());
        }
    }

    /**
     * A key whose private half stays in a remote service (Vault Transit): {@code signer} asks the
     * service for each signature. Nothing is probed here, since that would cost a round trip per
     * load; such a signer checks every signature it gets back against {@code publicEntry} instead.
     */
    public static SigningKey remote(KeyEntry publicEntry, JWSSigner signer, String origin) throws CiJwtException {
        if (publicEntry.isPrivate()) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID,
                    origin + ": key '" + publicEntry.kid() + "' is signed remotely, so it must be given as a public key");
        }
        if (!signer.supportedJWSAlgorithms().contains(publicEntry.algorithm().jws())) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID,
                    origin + ": the signer of key '" + publicEntry.kid() + "' cannot sign " + publicEntry.algorithm());
        }
        try {
            JWSHeader built = new JWSHeader.Builder(publicEntry.algorithm().jws())
                    .type(JOSEObjectType.JWT).keyID(publicEntry.kid()).build();
            return new SigningKey(publicEntry, signer, JWSHeader.parse(built.toBase64URL()));
        } catch (ParseException e) {
            throw new IllegalStateException("a header we built does not parse", e);
        }
    }

    public KeyEntry entry() {
        return entry;
    }

    public String kid() {
        return entry.kid();
    }

    public SigningAlgorithm algorithm() {
        return entry.algorithm();
    }

    public JWSSigner signer() {
        return signer;
    }

    public JWSHeader header() {
        return header;
    }

    @Override
    public String toString() {
        return "SigningKey[" + entry.algorithm() + " kid=" + entry.kid() + "]";
    }
}
