package org.cijwt.cli;

import java.nio.file.Path;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import picocli.CommandLine.Option;

/** {@code --metadata FILE}: the build metadata as JSON keyed by claim names. */
public final class MetadataOption {
    @Option(names = "--metadata", paramLabel = "FILE", required = true,
            description = "Build metadata JSON: team, teamid, pipeline, pipelineid, instance_vars, job, jobid, buildid, build_name, task, step_type, worker.")
    Path metadata;

    public BuildMetadata load() throws CiJwtException {
        return BuildMetadata.fromJsonFile(metadata);
    }
}
