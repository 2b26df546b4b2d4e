package org.cijwt.keys;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.cijwt.errors.CiJwtException;
import org.cijwt.io.SecureFiles;

/**
 * The one reader of PEM text in ci-jwt: signing and verification keys (through {@link KeyCodec}),
 * and TLS material: a CA bundle, a certificate chain and its private key (the Vault client's, the
 * web endpoint's {@code tls_cert} and {@code tls_key}).
 *
 * <p>Every refusal is a rule handed to the caller's {@link Failure}, which puts the setting (and,
 * for a file, this reader puts the file) in front. No message quotes the text: a private key is a
 * secret, and Bouncy Castle's own messages can carry the bytes they choked on, so they are dropped.
 */
public final class PemReader {

    /** Makes the error for one broken rule, e.g. {@code rule -> new CiJwtException(TLS_INVALID, "setting tls_key: " + rule)}. */
    @FunctionalInterface
    public interface Failure {
        CiJwtException because(String rule);
    }

    /** What one PEM block holds, as far as ci-jwt cares. */
    sealed interface Block permits Certificate, PrivateKeyBlock, PublicKeyBlock, Encrypted, Other {
    }

    /** A {@code CERTIFICATE} block. */
    record Certificate(X509CertificateHolder holder) implements Block {
    }

    /** An unencrypted private key: PKCS#8 ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC 1 ({@code EC PRIVATE KEY}). */
    record PrivateKeyBlock(PrivateKeyInfo info) implements Block {
    }

    /** A {@code PUBLIC KEY} block (SubjectPublicKeyInfo). */
    record PublicKeyBlock(SubjectPublicKeyInfo info) implements Block {
    }

    /** An encrypted private key, which ci-jwt never reads: it would need a passphrase kept somewhere as well. */
    record Encrypted() implements Block {
    }

    /** Anything else, e.g. the {@code EC PARAMETERS} block that {@code openssl ecparam -genkey} writes first. */
    record Other(String kind) implements Block {
    }

    private PemReader() {
    }

    /**
     * Every block of the text, in order; text outside the blocks is skipped, as OpenSSL does.
     *
     * @throws CiJwtException from {@code failure} when a block is truncated or corrupt
     */
    static List<Block> blocks(String pem, Failure failure) throws CiJwtException {
        List<Block> out = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            for (Object obj = parser.readObject(); obj != null; obj = parser.readObject()) {
                out.add(block(obj));
            }
        } catch (IOException | RuntimeException e) {
            // Bouncy Castle reports a corrupt block as an IOException or as one of several unchecked
            // exceptions; its messages may quote the block, so only the block's number is said.
            throw failure.because("PEM block " + (out.size() + 1) + " cannot be parsed (truncated or corrupt)");
        }
        return out;
    }

    private static Block block(Object obj) {
        if (obj instanceof X509CertificateHolder holder) {
            return new Certificate(holder);
        }
        if (obj instanceof PrivateKeyInfo info) {
            return new PrivateKeyBlock(info);
        }
        if (obj instanceof PEMKeyPair pair) {
            return new PrivateKeyBlock(pair.getPrivateKeyInfo());
        }
        if (obj instanceof SubjectPublicKeyInfo info) {
            return new PublicKeyBlock(info);
        }
        if (obj instanceof PEMEncryptedKeyPair || obj instanceof PKCS8EncryptedPrivateKeyInfo) {
            return new Encrypted();
        }
        return new Other(obj.getClass().getSimpleName());
    }

    /**
     * Every certificate of a CA bundle or a chain (leaf first), at least one; a block of another kind
     * is refused, since a key pasted into a certificate setting is a leak, not a certificate.
     */
    public static List<X509Certificate> certificates(String pem, Failure failure) throws CiJwtException {
        List<Block> blocks;
        try {
            blocks = blocks(pem, failure);
        } catch (CiJwtException e) {
            throw failure.because("holds no readable PEM X.509 certificate");
        }
        List<X509Certificate> out = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        for (Block block : blocks) {
            if (!(block instanceof Certificate c)) {
                throw failure.because("holds a PEM block that is not a certificate");
            }
            try {
                out.add(converter.getCertificate(c.holder()));
            } catch (CertificateException | RuntimeException e) {
                throw failure.because("holds no readable PEM X.509 certificate");
            }
        }
        if (out.isEmpty()) {
            throw failure.because("holds no PEM X.509 certificate");
        }
        return List.copyOf(out);
    }

    /**
     * The one unencrypted private key of the text, as a key of the JDK's own providers (RSA, EC,
     * Ed25519 or Ed448). Other blocks (the {@code EC PARAMETERS} OpenSSL writes before an EC key, a
     * certificate) are passed over; a second key is refused, since which one was meant is unknown.
     */
    public static PrivateKey privateKey(String pem, Failure failure) throws CiJwtException {
        String none = "holds no unencrypted PEM private key (PKCS#8, PKCS#1 or SEC 1)";
        List<Block> blocks;
        try {
            blocks = blocks(pem, failure);
        } catch (CiJwtException e) {
            throw failure.because(none);
        }
        PrivateKeyInfo info = null;
        for (Block block : blocks) {
            if (block instanceof Encrypted) {
                throw failure.because("holds an encrypted private key; give ci-jwt an unencrypted key in a 0600 file");
            }
            if (block instanceof PrivateKeyBlock key) {
                if (info != null) {
                    throw failure.because("must hold exactly one private key");
                }
                info = key.info();
            }
        }
        if (info == null) {
            throw failure.because(none);
        }
        String algorithm = switch (info.getPrivateKeyAlgorithm().getAlgorithm().getId()) {
            case "1.2.840.113549.1.1.1" -> "RSA";
            case "1.2.840.10045.2.1" -> "EC";
            case "1.3.101.112" -> "Ed25519";
            case "1.3.101.113" -> "Ed448";
            default -> throw failure.because("holds a private key that is neither RSA, EC, Ed25519 nor Ed448");
        };
        try {
            // The JDK's own providers, from the PKCS#8 form: no Bouncy Castle provider is registered for this.
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw failure.because("holds a private key that is not a valid " + algorithm + " key");
        }
    }

    /** Reads a certificate file ({@link #certificates}); every rule it breaks names the file. */
    public static List<X509Certificate> readCertificates(Path file, Failure failure) throws CiJwtException {
        Failure inFile = inFile(file, failure);
        return certificates(text(file, inFile), inFile);
    }

    /**
     * Reads a private key file ({@link #privateKey}), refused when group or others may read or write
     * it, as every private key file ci-jwt reads; every rule names the file.
     *
     * @param what names the setting in the permission error, e.g. {@code setting tls_key}
     */
    public static PrivateKey readPrivateKey(Path file, String what, Failure failure) throws CiJwtException {
        Failure inFile = inFile(file, failure);
        String pem = text(file, inFile);
        SecureFiles.requirePrivatePermissions(file, what);
        return privateKey(pem, inFile);
    }

    private static Failure inFile(Path file, Failure failure) {
        return rule -> failure.because("file " + file + " " + rule);
    }

    private static String text(Path file, Failure inFile) throws CiJwtException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw inFile.because("does not exist");
        } catch (CharacterCodingException e) {
            throw inFile.because("is not PEM text");
        } catch (IOException e) {
            throw inFile.because("cannot be read: " + SecureFiles.reason(e));
        }
    }
}
