package org.cijwt.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.ExitCode;
import org.cijwt.io.SecureFiles;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.signedconfig.PipelineSigning.StepResult;
import org.cijwt.signedconfig.PipelineSigning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ci-jwt verify-pipeline}: checks every task step of a signed pipeline against pinned keys. */
@Command(name = "verify-pipeline", mixinStandardHelpOptions = true,
        description = "Check the signature of every task step of a pipeline with the pinned verification keys;"
                + " print one line per step and exit 1 if any step is unsigned or does not verify.")
final class VerifyPipelineCommand implements Callable<Integer> {
    @Option(names = "--verify-keys", required = true, arity = "1..*", paramLabel = "FILE",
            description = "Pinned public keys (JWKS or PEM files); several for rotation.")
    List<Path> verifyKeys = new ArrayList<>();

    @Option(names = "--team", required = true, paramLabel = "TEAM", description = "The team the pipeline is set in.")
    String team;

    @Option(names = "--pipeline", required = true, paramLabel = "PIPELINE", description = "The pipeline's name.")
    String pipeline;

    @Parameters(paramLabel = "FILE", description = "The signed pipeline YAML.")
    Path file;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CiJwtException {
        KeyRing pinned = pinnedKeys(verifyKeys);
        String yaml = SecureFiles.read(file, "pipeline file");
        List<StepResult> results = PipelineSigning.verify(yaml, "pipeline file " + file, team, pipeline, pinned);
        if (results.isEmpty()) {
            throw new CiJwtException(ErrorCode.SIGNED_STEP_INVALID, "pipeline file " + file + ": has no task steps to verify");
        }
        boolean allVerified = true;
        for (StepResult r : results) {
            if (r.verification().isVerified()) {
                spec.commandLine().getOut().println("verified: job " + r.job() + ", task " + r.task() + " (signer "
                        + r.verification().signer().orElseThrow() + ", " + r.verification().digest() + ")");
            } else {
                allVerified = false;
                spec.commandLine().getOut().println(r.verification().status().claim() + ": " + r.verification().reason().orElseThrow());
            }
        }
        return allVerified ? ExitCode.OK : ExitCode.REJECTED;
    }

    /** Every pinned key file, merged into one verification-only ring. */
    static KeyRing pinnedKeys(List<Path> files) throws CiJwtException {
        KeyRing ring = KeyRing.empty();
        for (Path f : files) {
            ring = ring.withPublished(new VerificationKeySource(f).load(), "verification keys " + f);
        }
        return ring;
    }
}
