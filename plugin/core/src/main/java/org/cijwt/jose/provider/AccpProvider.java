package org.cijwt.jose.provider;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.KeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.function.UnaryOperator;

/**
 * AWS-LC through the Amazon Corretto Crypto Provider, used as a plain JCA provider object: it is
 * never installed into {@code java.security.Security}, so TLS and everything else in the process
 * keep the JDK's providers.
 *
 * <p>Its ECDSA nonces are random but hedged (AWS-LC mixes the private key and the digest into
 * them, as BoringSSL does), so a weak random source does not leak the key either.
 */
final class AccpProvider implements CryptoProvider {
    private static final String ECDSA = "SHA256withECDSAinP1363Format";
    private static final String RSA = "SHA256withRSA";
    private static final String ED25519 = "Ed25519";
    private static final int ED25519_SIGNATURE_SIZE = 64;

    private final AmazonCorrettoCryptoProvider accp;

    AccpProvider(AmazonCorrettoCryptoProvider accp) {
        this.accp = accp;
    }

    @Override
    public String name() {
        return ACCP;
    }

    @Override
    public String description() {
        return "Amazon Corretto Crypto Provider " + accp.getVersionStr() + ", " + accp.getAwsLcVersionStr();
    }

    @Override
    public RawSigner ed25519Signer(byte[] seed) throws InvalidKeyException {
        JdkKeys.requireEd25519Length(seed, "private key");
        byte[] copy = seed.clone();
        // ACCP has no Ed25519 key factory; it translates the JDK's key when a Signature is initialised.
        return new JcaSigner(accp, ED25519, () -> JdkKeys.ed25519Private(copy), UnaryOperator.identity());
    }

    @Override
    public RawVerifier ed25519Verifier(byte[] publicKey) throws InvalidKeyException {
        JdkKeys.ed25519PublicParameters(publicKey);
        byte[] copy = publicKey.clone();
        return new JcaVerifier(accp, ED25519, () -> JdkKeys.ed25519Public(copy), sig -> sig.length == ED25519_SIGNATURE_SIZE);
    }

    @Override
    public RawSigner p256Signer(BigInteger d) throws InvalidKeyException {
        if (d == null || d.signum() <= 0 || d.compareTo(P256.N) >= 0) {
            throw new InvalidKeyException("the P-256 private key is out of range");
        }
        KeySpec spec = new ECPrivateKeySpec(d, JdkKeys.p256());
        return new JcaSigner(accp, ECDSA, () -> (PrivateKey) key("EC", spec, true), sig -> {
            if (sig.length != 2 * P256.SIZE) {
                throw new IllegalStateException(accp.getName() + " returned an ES256 signature of " + sig.length + " bytes");
            }
            return P256.toLowS(sig);
        });
    }

    @Override
    public RawVerifier p256Verifier(BigInteger x, BigInteger y) throws InvalidKeyException {
        P256.validatePoint(x, y);
        KeySpec spec = new ECPublicKeySpec(new ECPoint(x, y), JdkKeys.p256());
        return new JcaVerifier(accp, ECDSA, () -> (PublicKey) key("EC", spec, false), P256::isCanonical);
    }

    @Override
    public RawSigner rsaSha256Signer(RSAPrivateKey key) throws InvalidKeyException {
        KeySpec spec = new PKCS8EncodedKeySpec(key.getEncoded());
        return new JcaSigner(accp, RSA, () -> (PrivateKey) key("RSA", spec, true), UnaryOperator.identity());
    }

    @Override
    public RawVerifier rsaSha256Verifier(RSAPublicKey key) throws InvalidKeyException {
        KeySpec spec = new X509EncodedKeySpec(key.getEncoded());
        int length = (key.getModulus().bitLength() + 7) / 8;
        return new JcaVerifier(accp, RSA, () -> (PublicKey) key("RSA", spec, false), sig -> sig.length == length);
    }

    @Override
    public SecureRandom newSecureRandom() {
        try {
            return SecureRandom.getInstance("LibCryptoRng", accp);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(accp.getName() + " has no LibCryptoRng", e);
        }
    }

    /** The key as ACCP's own object (one per thread), so it is not translated at every initialisation. */
    private Object key(String type, KeySpec spec, boolean isPrivate) throws InvalidKeyException {
        try {
            KeyFactory kf = KeyFactory.getInstance(type, accp);
            return isPrivate ? kf.generatePrivate(spec) : kf.generatePublic(spec);
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyException(accp.getName() + " refused the " + type + " key: " + e.getMessage(), e);
        }
    }
}
