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
        return new JcaSigner(accp, ED25519, JdkKeys.ed25519Private(seed), UnaryOperator.identity());
    }

    @Override
    public RawVerifier ed25519Verifier(byte[] publicKey) throws InvalidKeyException {
        JdkKeys.ed25519PublicParameters(publicKey);
        return new JcaVerifier(accp, ED25519, JdkKeys.ed25519Public(publicKey), sig -> sig.length == ED25519_SIGNATURE_SIZE);
    }

    @Override
    public RawSigner p256Signer(BigInteger d) throws InvalidKeyException {
        if (d == null || d.signum() <= 0 || d.compareTo(P256.N) >= 0) {
            throw new InvalidKeyException("the P-256 private key is out of range");
        }
        PrivateKey key = (PrivateKey) key("EC", new ECPrivateKeySpec(d, JdkKeys.p256()), true);
        return new JcaSigner(accp, ECDSA, key, sig -> {
            if (sig.length != 2 * P256.SIZE) {
                throw new IllegalStateException(accp.getName() + " returned an ES256 signature of " + sig.length + " bytes");
            }
            return P256.toLowS(sig);
        });
    }

    @Override
    public RawVerifier p256Verifier(BigInteger x, BigInteger y) throws InvalidKeyException {
        P256.validatePoint(x, y);
        PublicKey key = (PublicKey) key("EC", new ECPublicKeySpec(new ECPoint(x, y), JdkKeys.p256()), false);
        return new JcaVerifier(accp, ECDSA, key, P256::isCanonical);
    }

    @Override
    public RawSigner rsaSha256Signer(RSAPrivateKey key) throws InvalidKeyException {
        PrivateKey own = (PrivateKey) key("RSA", new PKCS8EncodedKeySpec(key.getEncoded()), true);
        return new JcaSigner(accp, RSA, own, UnaryOperator.identity());
    }

    @Override
    public RawVerifier rsaSha256Verifier(RSAPublicKey key) throws InvalidKeyException {
        PublicKey own = (PublicKey) key("RSA", new X509EncodedKeySpec(key.getEncoded()), false);
        int length = (key.getModulus().bitLength() + 7) / 8;
        return new JcaVerifier(accp, RSA, own, sig -> sig.length == length);
    }

    @Override
    public SecureRandom newSecureRandom() {
        try {
            return SecureRandom.getInstance("LibCryptoRng", accp);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(accp.getName() + " has no LibCryptoRng", e);
        }
    }

    /** The key as ACCP's own object, translated once here rather than at every initialisation. */
    private Object key(String type, KeySpec spec, boolean isPrivate) throws InvalidKeyException {
        try {
            KeyFactory kf = KeyFactory.getInstance(type, accp);
            return isPrivate ? kf.generatePrivate(spec) : kf.generatePublic(spec);
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyException(accp.getName() + " refused the " + type + " key: " + e.getMessage(), e);
        }
    }
}
