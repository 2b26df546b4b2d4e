package org.cijwt.keys;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.cijwt.fixtures.TestKeys;

/**
 * Broken keys made from the fixture keys, as an attacker or a bad copy-and-paste would make them:
 * small-order Ed25519 points, an EC key cut down to its private scalar, and every one-byte
 * corruption and truncation of a fixture PEM.
 */
public final class MalformedKeys {
    /**
     * Encodings of Ed25519 points of small order (1, 2, 4 and 8): a signature check against one of
     * them can be passed without the private key.
     */
    public static final List<String> SMALL_ORDER_ED25519 = List.of(
            "0100000000000000000000000000000000000000000000000000000000000000",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0000000000000000000000000000000000000000000000000000000000000080",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05");

    private MalformedKeys() {
    }

    /** A public JWKS holding one Ed25519 key whose {@code x} is the given point (hex). */
    public static String ed25519Jwks(String kid, String pointHex) {
        String x = Base64.getUrlEncoder().withoutPadding().encodeToString(HexFormat.of().parseHex(pointHex));
        return "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"" + kid + "\",\"x\":\"" + x + "\"}]}";
    }

    /**
     * The fixture SEC1 P-256 key cut after its private scalar: well-formed DER whose optional curve
     * parameters and public key are gone, so nothing says which curve the scalar belongs to.
     */
    public static String ecPemWithoutCurve() {
        byte[] der = der(TestKeys.text(TestKeys.P256_SEC1));
        // SEQUENCE { INTEGER 1, OCTET STRING (32) } is the first 2 + 3 + 34 bytes, without the outer header.
        byte[] inner = Arrays.copyOfRange(der, 2, 2 + 3 + 34);
        byte[] cut = new byte[inner.length + 2];
        cut[0] = 0x30;
        cut[1] = (byte) inner.length;
        System.arraycopy(inner, 0, cut, 2, inner.length);
        return pem("EC PRIVATE KEY", cut);
    }

    /**
     * Truncations and single-byte corruptions (three values per byte) of a fixture PEM's DER, each
     * as a PEM with the same label, at about {@code positions} evenly spread bytes (every byte of a
     * key no longer than that), so a run over a long RSA key stays short.
     */
    public static List<String> corruptionsOf(String fixture, int positions) {
        String text = TestKeys.text(fixture);
        String label = label(text);
        byte[] der = der(text);
        int stride = Math.max(1, (der.length + positions - 1) / positions);
        List<String> out = new ArrayList<>();
        for (int n = 1; n < der.length; n += stride) {
            out.add(pem(label, Arrays.copyOf(der, n)));
        }
        for (int i = 0; i < der.length; i += stride) {
            for (int v : new int[] {0x00, 0xff, der[i] ^ 0x01}) {
                if ((byte) v == der[i]) {
                    continue;
                }
                byte[] d = der.clone();
                d[i] = (byte) v;
                out.add(pem(label, d));
            }
        }
        return out;
    }

    public static byte[] der(String pemText) {
        StringBuilder b64 = new StringBuilder();
        boolean inside = false;
        for (String line : pemText.split("\n")) {
            if (line.startsWith("-----BEGIN")) {
                inside = true;
            } else if (line.startsWith("-----END")) {
                break;
            } else if (inside) {
                b64.append(line.trim());
            }
        }
        return Base64.getDecoder().decode(b64.toString());
    }

    private static String label(String pemText) {
        int start = pemText.indexOf("-----BEGIN ") + "-----BEGIN ".length();
        return pemText.substring(start, pemText.indexOf("-----", start));
    }

    public static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + new String(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encode(der), StandardCharsets.US_ASCII)
                + "\n-----END " + label + "-----\n";
    }
}
