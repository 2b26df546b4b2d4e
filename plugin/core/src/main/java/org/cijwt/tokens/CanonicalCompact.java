package org.cijwt.tokens;

import java.util.Arrays;
import java.util.Optional;

/**
 * The one accepted spelling of a JWS in compact form: three segments of canonical base64url
 * (RFC 7515 §2 and Appendix C): only {@code A-Z a-z 0-9 - _}, no {@code =} padding, no
 * whitespace, and the unused low bits of the last character zero.
 *
 * <p>Lenient decoders (Nimbus's among them) skip stray characters and ignore unused bits, so
 * without this check one token has unlimited spellings that all verify: each would be a new entry
 * in a cache keyed on the token and would slip past a deny-list keyed on the token's hash. With
 * it, the compact string is a function of the bytes it carries.
 */
final class CanonicalCompact {
    private static final String[] SEGMENTS = {"header", "payload", "signature"};
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    /** The value of each ASCII character in base64url, -1 for every character outside it. */
    private static final byte[] VALUES = new byte[128];

    static {
        Arrays.fill(VALUES, (byte) -1);
        for (int i = 0; i < ALPHABET.length(); i++) {
            VALUES[ALPHABET.charAt(i)] = (byte) i;
        }
    }

    private CanonicalCompact() {
    }

    /** What keeps {@code token} from being canonical, as a sentence; empty when it is canonical. */
    static Optional<String> defect(String token) {
        int dot1 = token.indexOf('.');
        int dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
        if (dot1 <= 0 || dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0) {
            return Optional.of("a JWS in compact form has three dot-separated parts");
        }
        int[] starts = {0, dot1 + 1, dot2 + 1};
        int[] ends = {dot1, dot2, token.length()};
        for (int s = 0; s < 3; s++) {
            String problem = segmentDefect(token, starts[s], ends[s]);
            if (problem != null) {
                return Optional.of("the " + SEGMENTS[s] + " " + problem
                        + " (RFC 7515: only A-Z a-z 0-9 - _, no padding, unused bits zero)");
            }
        }
        return Optional.empty();
    }

    private static String segmentDefect(String token, int start, int end) {
        for (int i = start; i < end; i++) {
            if (value(token.charAt(i)) < 0) {
                return "has a character outside base64url at position " + (i - start + 1);
            }
        }
        int length = end - start;
        if (length == 0) {
            return null;
        }
        int last = value(token.charAt(end - 1));
        return switch (length % 4) {
            case 1 -> "has a length no base64url encoding has";
            // 2 characters carry 1 byte (4 bits unused), 3 carry 2 bytes (2 bits unused).
            case 2 -> (last & 0x0f) == 0 ? null : "has non-zero unused bits in its last character";
            case 3 -> (last & 0x03) == 0 ? null : "has non-zero unused bits in its last character";
            default -> null;
        };
    }

    private static int value(char c) {
        return c < VALUES.length ? VALUES[c] : -1;
    }
}
