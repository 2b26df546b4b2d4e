package org.cijwt.keys;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.generators.RSAKeyPairGenerator;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyGenerationParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.params.RSAPrivateCrtKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;

/**
 * Converts between PEM, Bouncy Castle key parameters and JWKs, and generates new keys. Works on
 * Bouncy Castle's lightweight API so Ed25519, P-256 and RSA take the same path; PEM text is read by
 * {@link PemReader}, as every PEM ci-jwt reads.
 */
public final class KeyCodec {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final X9ECParameters P256 = CustomNamedCurves.getByName("P-256");
    private static final ASN1ObjectIdentifier P256_OID = SECObjectIdentifiers.secp256r1;
    private static final int RSA_GENERATED_BITS = 2048;

    private KeyCodec() {
    }

    /** A fresh private JWK for the algorithm; RSA keys are 2048 bits, the size every relying party accepts and NIST allows through 2030. */
    public static JWK generate(SigningAlgorithm alg) {
        return switch (alg) {
            case EdDSA -> {
                Ed25519PrivateKeyParameters priv = new Ed25519PrivateKeyParameters(RANDOM);
                yield toJwk(priv);
            }
            case ES256 -> {
                BigInteger d;
                do {
                    d = new BigInteger(256, RANDOM);
                } while (d.signum() == 0 || d.compareTo(P256.getN()) >= 0);
                yield ecJwk(d);
            }
            case RS256 -> {
                RSAKeyPairGenerator gen = new RSAKeyPairGenerator();
                gen.init(new RSAKeyGenerationParameters(BigInteger.valueOf(65537), RANDOM, RSA_GENERATED_BITS, 112));
                AsymmetricCipherKeyPair pair = gen.generateKeyPair();
                yield rsaJwk((RSAPrivateCrtKeyParameters) pair.getPrivate());
            }
        };
    }

    /** Every key in a PEM text, in order; private keys come back as private JWKs. */
    public static List<JWK> parsePem(String pem, String origin) throws CiJwtException {
        List<PemReader.Block> blocks = PemReader.blocks(pem,
                rule -> new CiJwtException(ErrorCode.KEY_MALFORMED, origin + ": " + rule));
        if (blocks.isEmpty()) {
            throw new CiJwtException(ErrorCode.KEY_MALFORMED, origin + ": no PEM key found");
        }
        List<JWK> keys = new ArrayList<>();
        for (PemReader.Block block : blocks) {
            int index = keys.size() + 1;
            try {
                keys.add(toJwk(block, origin, index));
            } catch (IOException | RuntimeException e) {
                // A block that parsed as PEM can still fail as a key: Bouncy Castle then throws an
                // IOException or one of several unchecked exceptions (a NullPointerException for
                // missing curve parameters, an IllegalArgumentException for a point off the curve, a
                // ClassCastException for a wrong ASN.1 tag). Its messages can quote the offending
                // bytes; say only where the problem is.
                throw new CiJwtException(ErrorCode.KEY_MALFORMED,
                        origin + ": PEM block " + index + " cannot be parsed as a key (truncated or corrupt)");
            }
        }
        return keys;
    }

    private static JWK toJwk(PemReader.Block block, String origin, int index) throws CiJwtException, IOException {
        if (block instanceof PemReader.Encrypted) {
            throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID,
                    origin + ": PEM block " + index + " is encrypted; give ci-jwt an unencrypted key in a 0600 file or secret store");
        }
        if (block instanceof PemReader.PrivateKeyBlock key) {
            return fromPrivate(PrivateKeyFactory.createKey(key.info()), origin, index);
        }
        if (block instanceof PemReader.PublicKeyBlock key) {
            return fromPublic(PublicKeyFactory.createKey(key.info()), origin, index);
        }
        String kind = block instanceof PemReader.Other other ? other.kind() : "certificate";
        throw new CiJwtException(ErrorCode.KEY_SOURCE_INVALID,
                origin + ": PEM block " + index + " is a " + kind + ", not a key");
    }

    private static JWK fromPrivate(AsymmetricKeyParameter key, String origin, int index) throws CiJwtException {
        if (key instanceof Ed25519PrivateKeyParameters ed) {
            return toJwk(ed);
        }
        if (key instanceof ECPrivateKeyParameters ec) {
            requireP256(ec.getParameters(), origin, index);
            return ecJwk(ec.getD());
        }
        if (key instanceof RSAPrivateCrtKeyParameters rsa) {
            return rsaJwk(rsa);
        }
        throw unsupported(key, origin, index);
    }

    private static JWK fromPublic(AsymmetricKeyParameter key, String origin, int index) throws CiJwtException {
        if (key instanceof Ed25519PublicKeyParameters ed) {
            return new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(ed.getEncoded())).build();
        }
        if (key instanceof ECPublicKeyParameters ec) {
            requireP256(ec.getParameters(), origin, index);
            ECPoint q = ec.getQ().normalize();
            return new ECKey.Builder(Curve.P_256, coordinate(q.getAffineXCoord().toBigInteger()),
                    coordinate(q.getAffineYCoord().toBigInteger())).build();
        }
        if (key instanceof RSAKeyParameters rsa) {
            return new RSAKey.Builder(Base64URL.encode(rsa.getModulus()), Base64URL.encode(rsa.getExponent())).build();
        }
        throw unsupported(key, origin, index);
    }

    private static void requireP256(ECDomainParameters params, String origin, int index) throws CiJwtException {
        boolean named = params instanceof ECNamedDomainParameters n && P256_OID.equals(n.getName());
        if (!named && !params.getCurve().equals(P256.getCurve())) {
            throw new CiJwtException(ErrorCode.ALGORITHM_NOT_ALLOWED,
                    origin + ": PEM block " + index + " is an EC key on a curve other than P-256, which ES256 requires");
        }
    }

    private static CiJwtException unsupported(AsymmetricKeyParameter key, String origin, int index) {
        return new CiJwtException(ErrorCode.ALGORITHM_NOT_ALLOWED, origin + ": PEM block " + index + " holds a "
                + key.getClass().getSimpleName().replace("Parameters", "") + " key; use Ed25519, P-256 or RSA >= 2048");
    }

    private static OctetKeyPair toJwk(Ed25519PrivateKeyParameters priv) {
        return new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(priv.generatePublicKey().getEncoded()))
                .d(Base64URL.encode(priv.getEncoded())).build();
    }

    private static ECKey ecJwk(BigInteger d) {
        ECPoint q = new FixedPointCombMultiplier().multiply(P256.getG(), d).normalize();
        return new ECKey.Builder(Curve.P_256, coordinate(q.getAffineXCoord().toBigInteger()),
                coordinate(q.getAffineYCoord().toBigInteger()))
                .d(coordinate(d)).build();
    }

    private static RSAKey rsaJwk(RSAPrivateCrtKeyParameters k) {
        return new RSAKey.Builder(Base64URL.encode(k.getModulus()), Base64URL.encode(k.getPublicExponent()))
                .privateExponent(Base64URL.encode(k.getExponent()))
                .firstPrimeFactor(Base64URL.encode(k.getP()))
                .secondPrimeFactor(Base64URL.encode(k.getQ()))
                .firstFactorCRTExponent(Base64URL.encode(k.getDP()))
                .secondFactorCRTExponent(Base64URL.encode(k.getDQ()))
                .firstCRTCoefficient(Base64URL.encode(k.getQInv()))
                .build();
    }

    /** RFC 7518 section 6.2.1.2: EC coordinates are the full field size, left-padded with zeros. */
    private static Base64URL coordinate(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int copy = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
        return Base64URL.encode(out);
    }

    /**
     * PKCS#8 PEM for a private JWK. Ed25519 is written as RFC 8410's version 1 structure, the one
     * {@code openssl genpkey -algorithm Ed25519} writes: OpenSSL 3.0 and Python's
     * {@code cryptography} cannot read Bouncy Castle's default, version 2 with the public key
     * attached (both forms are read back).
     */
    public static String privatePem(KeyEntry entry) {
        try {
            AsymmetricKeyParameter params = privateParams(entry);
            PrivateKeyInfo info = params instanceof Ed25519PrivateKeyParameters ed
                    ? new PrivateKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), new DEROctetString(ed.getEncoded()))
                    : PrivateKeyInfoFactory.createPrivateKeyInfo(params);
            return pem("PRIVATE KEY", info.getEncoded());
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode key " + entry.kid(), e);
        }
    }

    /** SubjectPublicKeyInfo PEM for a key. */
    public static String publicPem(KeyEntry entry) {
        try {
            SubjectPublicKeyInfo info = SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(publicParams(entry));
            return pem("PUBLIC KEY", info.getEncoded());
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode key " + entry.kid(), e);
        }
    }

    private static AsymmetricKeyParameter privateParams(KeyEntry entry) {
        JWK jwk = entry.jwk();
        return switch (entry.algorithm()) {
            case EdDSA -> new Ed25519PrivateKeyParameters(((OctetKeyPair) jwk).getDecodedD(), 0);
            case ES256 -> new ECPrivateKeyParameters(((ECKey) jwk).getD().decodeToBigInteger(),
                    new ECNamedDomainParameters(P256_OID, P256));
            case RS256 -> {
                RSAKey r = (RSAKey) jwk;
                yield new RSAPrivateCrtKeyParameters(r.getModulus().decodeToBigInteger(),
                        r.getPublicExponent().decodeToBigInteger(), r.getPrivateExponent().decodeToBigInteger(),
                        r.getFirstPrimeFactor().decodeToBigInteger(), r.getSecondPrimeFactor().decodeToBigInteger(),
                        r.getFirstFactorCRTExponent().decodeToBigInteger(), r.getSecondFactorCRTExponent().decodeToBigInteger(),
                        r.getFirstCRTCoefficient().decodeToBigInteger());
            }
        };
    }

    private static AsymmetricKeyParameter publicParams(KeyEntry entry) {
        JWK jwk = entry.jwk();
        return switch (entry.algorithm()) {
            case EdDSA -> new Ed25519PublicKeyParameters(((OctetKeyPair) jwk).getDecodedX(), 0);
            case ES256 -> {
                ECKey ec = (ECKey) jwk;
                ECPoint q = P256.getCurve().createPoint(ec.getX().decodeToBigInteger(), ec.getY().decodeToBigInteger());
                yield new ECPublicKeyParameters(q, new ECNamedDomainParameters(P256_OID, P256));
            }
            case RS256 -> {
                RSAKey r = (RSAKey) jwk;
                yield new RSAKeyParameters(false, r.getModulus().decodeToBigInteger(), r.getPublicExponent().decodeToBigInteger());
            }
        };
    }

    private static String pem(String type, byte[] der) throws IOException {
        StringWriter out = new StringWriter();
        try (PemWriter w = new PemWriter(out)) {
            w.writeObject(new PemObject(type, der));
        }
        return out.toString();
    }
}
