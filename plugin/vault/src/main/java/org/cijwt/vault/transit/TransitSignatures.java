package org.cijwt.vault.transit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.cijwt.jose.SigningAlgorithm;

/**
 * Turns Transit's signature strings into JWS signature bytes. Transit answers
 * {@code vault:v<version>:<signature>}: Ed25519 as the raw 64 bytes in standard base64, ECDSA with
 * {@code marshaling_algorithm=jws} as {@code r || s} in base64url, RSA PKCS#1 v1.5 as the raw
 * signature in standard base64; each of those raw forms is what RFC 7518 puts in a JWS.
 */
final class TransitSignatures {
    private TransitSignatures() {
    }

    /**
     * The raw signature, checked to come from {@code version} and to have the size its algorithm gives.
     *
     * @throws IllegalArgumentException saying what is wrong (never quoting the signature)
     */
    static byte[] decode(String text, int version, SigningAlgorithm alg) {
        String prefix = "vault:v" + version + ":";
        if (!text.startsWith(prefix)) {
            int end = text.indexOf(':', "vault:".length());
            String got = text.startsWith("vault:v") && end > 0 ? text.substring("vault:".length(), end) : "no version prefix";
            throw new IllegalArgumentException("Vault returned a signature of " + got + " for version " + version);
        }
        String body = text.substring(prefix.length());
        byte[] raw;
        try {
            raw = alg == SigningAlgorithm.ES256 ? Base64.getUrlDecoder().decode(body) : Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Vault returned a " + alg + " signature that is not "
                    + (alg == SigningAlgorithm.ES256 ? "base64url (is marshaling_algorithm jws honoured?)" : "base64"));
        }
        int expected = switch (alg) {
            case EdDSA, ES256 -> 64;
            case RS256 -> -1;
        };
        if (expected > 0 && raw.length != expected) {
            throw new IllegalArgumentException("Vault returned a " + alg + " signature of " + raw.length
                    + " bytes, not " + expected + (alg == SigningAlgorithm.ES256 ? " (an ASN.1 signature?)" : ""));
        }
        return raw;
    }

    static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
