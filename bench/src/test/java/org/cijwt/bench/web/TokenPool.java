package org.cijwt.bench.web;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySources;
import org.cijwt.tokens.TokenMinter;

/**
 * The benchmark's pools of distinct valid tokens for introspection under load: for each algorithm
 * of ALGS (comma-separated) mints COUNT tokens for the build in METADATA_FILE with the server's own
 * key store, one per line, into a new 0600 file OUT_DIR/pool-ALG.txt (the benchmark's private
 * temporary directory; throw-away keys, tokens that expire). Not part of ci-jwt; see
 * {@code bench/run}.
 *
 * <p>Usage: {@code TokenPool KEYS_DIR ISSUER AUDIENCE ALGS COUNT METADATA_FILE OUT_DIR}
 */
public final class TokenPool {
    private TokenPool() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: TokenPool KEYS_DIR ISSUER AUDIENCE ALGS COUNT METADATA_FILE OUT_DIR");
            System.exit(2);
        }
        int count = Integer.parseInt(args[4]);
        KeyRing ring = KeySources.resolve(args[0], KeySources.Options.defaults()).load();
        BuildMetadata metadata = BuildMetadata.fromJson(Files.readString(Path.of(args[5])), args[5]);
        TokenMinter minter = new TokenMinter(() -> ring, Clock.systemUTC());
        for (String name : args[3].split(",")) {
            SigningAlgorithm alg = SigningAlgorithm.parse(name);
            ClaimsPolicy policy = ClaimsPolicy.builder().issuer(args[1]).audience(args[2]).algorithm(alg)
                    .ttl(Duration.ofHours(1)).build();
            Path out = Path.of(args[6]).resolve("pool-" + alg.name() + ".txt");
            Files.createFile(out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (Writer w = Files.newBufferedWriter(out, StandardCharsets.US_ASCII, StandardOpenOption.WRITE)) {
                for (int i = 0; i < count; i++) {
                    w.write(minter.mint(metadata, policy).compact());
                    w.write('\n');
                }
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(out);
                throw e;
            }
            System.out.println(count + " " + alg + " tokens in " + out);
        }
    }
}
