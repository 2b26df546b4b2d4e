package org.cijwt.cli;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.ExitCode;
import org.cijwt.io.SecureFiles;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.SigningKey;
import org.cijwt.signedconfig.PipelineSigning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ci-jwt sign-pipeline}: adds a signature to every task step of a pipeline file. */
@Command(name = "sign-pipeline", mixinStandardHelpOptions = true,
        description = {"Sign every task step of a pipeline (its inline task config, privileged, image, params, vars,"
                + " input/output mappings, and the team, pipeline and job it belongs to) and print the signed pipeline.",
                "The signing key is the author's: EdDSA by default, or the key --key-id names."})
final class SignPipelineCommand implements Callable<Integer> {
    @Mixin
    KeyOptions keys;

    @Option(names = "--team", required = true, paramLabel = "TEAM", description = "The team the pipeline is set in.")
    String team;

    @Option(names = "--pipeline", required = true, paramLabel = "PIPELINE", description = "The pipeline's name.")
    String pipeline;

    @Parameters(paramLabel = "FILE", description = "The pipeline YAML.")
    Path file;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CiJwtException {
        String yaml = SecureFiles.read(file, "pipeline file");
        SigningKey key = signer(keys.source(EnumSet.of(SigningAlgorithm.EdDSA)).load(), keys.keyId);
        spec.commandLine().getOut().print(PipelineSigning.sign(yaml, "pipeline file " + file, team, pipeline, key));
        spec.commandLine().getOut().flush();
        spec.commandLine().getErr().println("ci-jwt: signed with " + key.algorithm() + " key " + key.kid());
        return ExitCode.OK;
    }

    /** The key --key-id names, else the EdDSA key, else the ring's only signer. */
    static SigningKey signer(KeyRing ring, String keyId) throws CiJwtException {
        if (keyId != null) {
            for (SigningAlgorithm alg : SigningAlgorithm.values()) {
                Optional<SigningKey> k = ring.signer(alg);
                if (k.isPresent() && k.get().kid().equals(keyId)) {
                    return k.get();
                }
            }
            throw new CiJwtException(ErrorCode.KEY_NOT_FOUND, "no signing key has kid '" + keyId + "'");
        }
        Optional<SigningKey> ed = ring.signer(SigningAlgorithm.EdDSA);
        if (ed.isPresent()) {
            return ed.get();
        }
        if (ring.signingAlgorithms().size() == 1) {
            return ring.requireSigner(ring.signingAlgorithms().iterator().next());
        }
        throw new CiJwtException(ErrorCode.KEY_NOT_FOUND, "the key source has no EdDSA key and several others; name one with --key-id");
    }
}
