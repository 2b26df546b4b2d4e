package org.cijwt.claims;

import java.util.List;
import java.util.Set;

/** The claim names ci-jwt emits; build claims are named exactly as the job-JWT RFC names them. */
public final class ClaimNames {
    public static final String ISS = "iss";
    public static final String SUB = "sub";
    public static final String AUD = "aud";
    public static final String EXP = "exp";
    public static final String NBF = "nbf";
    public static final String IAT = "iat";
    public static final String JTI = "jti";

    public static final String TEAM = "team";
    public static final String TEAM_ID = "teamid";
    public static final String PIPELINE = "pipeline";
    public static final String PIPELINE_ID = "pipelineid";
    public static final String INSTANCE_VARS = "instance_vars";
    public static final String JOB = "job";
    public static final String JOB_ID = "jobid";
    public static final String TASK = "task";
    public static final String BUILD_ID = "buildid";
    public static final String BUILD_NAME = "build_name";
    public static final String STEP_TYPE = "step_type";
    public static final String WORKER = "worker";
    /** {@code sha256:} and the hex digest of the task step's canonical signed fields. */
    public static final String CONFIG_DIGEST = "config_digest";
    /** The RFC 7638 thumbprint of the pinned key that verified the task's config; only when verified. */
    public static final String CONFIG_SIGNER = "config_signer";
    /** {@code verified}, {@code unsigned} or {@code failed} (the last two only under warn). */
    public static final String CONFIG_VERIFICATION = "config_verification";

    public static final List<String> REGISTERED = List.of(ISS, SUB, AUD, EXP, NBF, IAT, JTI);
    public static final List<String> BUILD = List.of(
            TEAM, TEAM_ID, PIPELINE, PIPELINE_ID, INSTANCE_VARS, JOB, JOB_ID, TASK, BUILD_ID,
            BUILD_NAME, STEP_TYPE, WORKER);
    /** The signed-config claims, present when the worker checks task configs or the step came signed. */
    public static final List<String> CONFIG = List.of(CONFIG_DIGEST, CONFIG_VERIFICATION, CONFIG_SIGNER);
    /** Every claim a token may carry apart from configured extra claims, in emission order. */
    public static final List<String> ALL = concat(concat(REGISTERED, BUILD), CONFIG);
    public static final Set<String> RESERVED = Set.copyOf(ALL);

    private ClaimNames() {
    }

    private static List<String> concat(List<String> a, List<String> b) {
        var all = new java.util.ArrayList<String>(a);
        all.addAll(b);
        return List.copyOf(all);
    }
}
