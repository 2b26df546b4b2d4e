package org.cijwt.vault.transit;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.cijwt.fixtures.Assume;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.keys.KeyCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The private key never appears on the worker: {@code ci-jwt mint}, {@code jwks} and
 * {@code preflight} run as their own processes with debug logging against exportable Transit keys
 * (exportable only so this test can learn the private keys), and then every file they wrote, their
 * logs included, is searched for the keys in every usual encoding.
 */
class TransitNoKeyMaterialIT {
    private static final String ISSUER = "https://ci.example.com";
    private static final String TASK_SPEC = """
            {"ociVersion": "1.0.2",
             "process": {"args": ["sh"], "env": ["PATH=/bin"], "cwd": "/"},
             "root": {"path": "rootfs"},
             "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}]}
            """;

    @TempDir
    Path temp;

    @Test
    void signerProcessesWhenDoneThenNoFileTheyWroteNorTheirLogHoldsPrivateKeyMaterialOrTheVaultToken() throws Exception {
        Assume.openBao();
        try (OpenBaoServer bao = OpenBaoServer.start()) {
            TransitLab lab = TransitLab.of(bao);
            lab.mountTransit();
            lab.createKey("leak-ec", "ecdsa-p256", true);
            lab.createKey("leak-ed", "ed25519", true);
            lab.rotate("leak-ed");
            Path worker = Files.createDirectories(temp.resolve("worker"));
            Path settings = Files.writeString(worker.resolve("transit.yml"), "timeout: 10s\n");
            String tokenEc = lab.signerToken("leak-ec", Duration.ofMinutes(10));
            String tokenEd = lab.signerToken("leak-ed", Duration.ofMinutes(10));
            Map<String, String> envEc = debug(TransitLab.env(bao.address().toString(), tokenEc, settings));
            Map<String, String> envEd = debug(TransitLab.env(bao.address().toString(), tokenEd, settings));
            Path metadata = TestKeys.metadataFile("main", worker);
            Path bundle = Files.createDirectories(worker.resolve("bundle"));
            Files.writeString(bundle.resolve("config.json"), TASK_SPEC);

            List<CliProcess.Result> runs = List.of(
                    CliProcess.run(worker, "mint-ec", envEc, "mint", "--keys", "transit:transit/leak-ec",
                            "--metadata", metadata.toString(), "--audience", "a", "--issuer", ISSUER),
                    CliProcess.run(worker, "mint-ed", envEd, "mint", "--alg", "EdDSA", "--keys", "transit:transit/leak-ed",
                            "--metadata", metadata.toString(), "--audience", "a", "--issuer", ISSUER),
                    CliProcess.run(worker, "jwks", envEd, "jwks", "--keys", "transit:transit/leak-ed"),
                    CliProcess.run(worker, "preflight", envEc, "preflight", "--keys", "transit:transit/leak-ec",
                            "--metadata", metadata.toString(), "--bundle", bundle.toString(), "--issuer", ISSUER));
            for (CliProcess.Result r : runs) {
                assertThat(r.exit()).as(r.describe()).isZero();
            }
            assertThat(runs.get(0).out()).matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+");
            assertThat(runs.get(2).out()).contains("\"kty\" : \"OKP\"");
            // Debug logging was on, so the logs are as talkative as they get.
            assertThat(runs.get(3).err()).contains("DEBUG");

            List<String> secrets = new ArrayList<>(List.of(tokenEc, tokenEd));
            lab.exportPrivate("leak-ec").values().forEach(pem -> secrets.addAll(ecEncodings(pem)));
            lab.exportPrivate("leak-ed").values().forEach(b64 -> secrets.addAll(ed25519Encodings(b64)));
            assertThat(secrets).hasSizeGreaterThan(10);

            List<Path> files;
            try (Stream<Path> walk = Files.walk(worker)) {
                files = walk.filter(Files::isRegularFile).toList();
            }
            assertThat(files).extracting(p -> p.getFileName().toString())
                    .contains("mint-ec.err", "preflight.err", "jwt", "config.json");
            for (Path f : files) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertThat(text).as(f.toString()).doesNotContain("PRIVATE KEY").doesNotContain("\"d\"");
                for (int i = 0; i < secrets.size(); i++) {
                    // A boolean, so a failure names the file and the secret's index but never prints the secret.
                    assertThat(text.contains(secrets.get(i))).as(f + " holds secret #" + i + " (0, 1: Vault tokens;"
                            + " then private key encodings)").isFalse();
                }
            }
        }
    }

    private static Map<String, String> debug(Map<String, String> env) {
        env.put("CI_JWT_LOG_LEVEL", "DEBUG");
        return env;
    }

    /** Vault exports an EC key as SEC 1 PEM: the PEM's base64 and the scalar d in every usual encoding. */
    private static List<String> ecEncodings(String pem) {
        List<String> out = new ArrayList<>();
        pem.lines().filter(l -> !l.startsWith("-----") && l.length() > 16).forEach(out::add);
        try {
            JWK jwk = KeyCodec.parsePem(pem, "export").get(0);
            byte[] d = ((ECKey) jwk).getD().decode();
            out.addAll(encodings(d));
        } catch (Exception e) {
            throw new AssertionError("Vault's export is not a PEM EC key", e);
        }
        return out;
    }

    /** Vault exports an Ed25519 key as base64 of seed and public key: the seed in every usual encoding. */
    private static List<String> ed25519Encodings(String base64) {
        byte[] raw = Base64.getDecoder().decode(base64);
        byte[] seed = java.util.Arrays.copyOf(raw, 32);
        List<String> out = new ArrayList<>(encodings(seed));
        out.add(base64);
        return out;
    }

    private static List<String> encodings(byte[] secret) {
        return List.of(Base64.getEncoder().withoutPadding().encodeToString(secret),
                Base64.getUrlEncoder().withoutPadding().encodeToString(secret),
                HexFormat.of().formatHex(secret), HexFormat.of().withUpperCase().formatHex(secret));
    }
}
