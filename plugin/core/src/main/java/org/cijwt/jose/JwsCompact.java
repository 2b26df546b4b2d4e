package org.cijwt.jose;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Signs a JWT straight into its compact serialisation (RFC 7515 section 7.1) with one buffer per
 * step: the claims go to UTF-8 JSON once, the header's base64url is the one the key's header
 * already holds, and the token is assembled as bytes. Nimbus's {@code SignedJWT} builds the same
 * token through several intermediate strings and base64 passes.
 */
public final class JwsCompact {
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    /** Thread-safe and shared; the claims map holds only JSON types (strings, numbers, lists, maps). */
    private static final ObjectWriter JSON = new ObjectMapper().writer();

    private JwsCompact() {
    }

    /**
     * The compact token for {@code claims} under {@code header}. A header parsed from its own
     * base64url (as each signing key's is) is not serialised again.
     */
    public static String sign(JWSSigner signer, JWSHeader header, JWTClaimsSet claims) throws JOSEException {
        byte[] payload;
        try {
            // toJSONObject is exactly what Nimbus serialises: dates as NumericDate, a single aud as a string.
            payload = JSON.writeValueAsBytes(claims.toJSONObject());
        } catch (JsonProcessingException e) {
            throw new JOSEException("the claims cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
        return sign(signer, header, payload);
    }

    /** The compact token for a payload that is already bytes. */
    public static String sign(JWSSigner signer, JWSHeader header, byte[] payload) throws JOSEException {
        byte[] encodedHeader = header.toBase64URL().toString().getBytes(StandardCharsets.US_ASCII);
        byte[] encodedPayload = BASE64URL.encode(payload);
        byte[] input = new byte[encodedHeader.length + 1 + encodedPayload.length];
        System.arraycopy(encodedHeader, 0, input, 0, encodedHeader.length);
        input[encodedHeader.length] = '.';
        System.arraycopy(encodedPayload, 0, input, encodedHeader.length + 1, encodedPayload.length);

        byte[] signature;
        if (signer instanceof ProviderJwsSigner own) {
            if (!own.algorithm().equals(header.getAlgorithm())) {
                throw new JOSEException(own.getClass().getSimpleName() + " signs " + own.algorithm() + " only, not "
                        + header.getAlgorithm());
            }
            signature = own.signBytes(input);
        } else {
            // Any other signer (a remote key service, say) through the plain Nimbus interface.
            signature = signer.sign(header, input).decode();
        }
        byte[] encodedSignature = BASE64URL.encode(signature);
        byte[] token = new byte[input.length + 1 + encodedSignature.length];
        System.arraycopy(input, 0, token, 0, input.length);
        token[input.length] = '.';
        System.arraycopy(encodedSignature, 0, token, input.length + 1, encodedSignature.length);
        // Every byte is base64url or '.', so Latin-1 decoding is a plain copy into a compact string.
        return new String(token, StandardCharsets.ISO_8859_1);
    }
}
