package org.cijwt.signedconfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * What a task-step signature covers: the step's task config as written (its {@code ((var))}
 * references unresolved), the step-level fields that change what runs, the definitions (type and
 * source) of the resources that fill the step's image and inputs and of their custom resource
 * types ({@value #RESOURCES} and {@value #RESOURCE_TYPES}, which {@link PipelineSigning} adds to
 * the step from the pipeline), and the invariants team, pipeline, job and task name, so that a
 * signed step replayed into another pipeline or job, or pointed at another image or repository,
 * no longer verifies. Serialised as RFC 8785 canonical JSON, whose SHA-256 is the
 * {@code config_digest}.
 */
public final class SignedFields {
    /** Step-level fields that change what the container runs or sees; everything else (hooks, tags, timeouts) is not signed. */
    static final List<String> STEP_FIELDS = List.of("config", "privileged", "image", "params", "vars",
            "input_mapping", "output_mapping");
    /** The signed step's field (in {@code signed_step}, never in a pipeline) with the resources it uses: name to type and source. */
    public static final String RESOURCES = "resources";
    /** The signed step's field with the custom resource types those resources use: name to type and source. */
    public static final String RESOURCE_TYPES = "resource_types";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String team;
    private final String pipeline;
    private final String job;
    private final String task;
    private final ObjectNode stepFields;
    private final byte[] canonical;

    private SignedFields(String team, String pipeline, String job, String task, ObjectNode stepFields, byte[] canonical) {
        this.team = team;
        this.pipeline = pipeline;
        this.job = job;
        this.task = task;
        this.stepFields = stepFields;
        this.canonical = canonical;
    }

    /**
     * The signed fields of {@code step}, a task step as written in a pipeline ({@code task:},
     * {@code config:} ...). A step that takes its config from a file cannot be signed: the file's
     * content is not known until the build runs.
     */
    public static SignedFields of(String team, String pipeline, String job, JsonNode step) throws CiJwtException {
        Objects.requireNonNull(team, "team");
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(job, "job");
        if (step == null || !step.isObject() || !step.path("task").isTextual()) {
            throw new CiJwtException(ErrorCode.SIGNED_STEP_INVALID, "job " + job + ": a signed step must be a task step (an object with task: NAME)");
        }
        String task = step.get("task").asText();
        if (step.has("file")) {
            throw new CiJwtException(ErrorCode.SIGNED_STEP_INVALID, "job " + job + ", task " + task
                    + ": uses file:, whose content is only known at run time; inline the task config to sign it");
        }
        if (!step.path("config").isObject()) {
            throw new CiJwtException(ErrorCode.SIGNED_STEP_INVALID, "job " + job + ", task " + task + ": has no config: to sign");
        }
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        for (String name : STEP_FIELDS) {
            if (step.has(name)) {
                fields.set(name, step.get(name).deepCopy());
            }
        }
        // Bound only when there are some, so a step that uses no resource signs as it always did.
        for (String name : List.of(RESOURCES, RESOURCE_TYPES)) {
            JsonNode bound = step.path(name);
            if (bound.isObject() && !bound.isEmpty()) {
                fields.set(name, bound.deepCopy());
            } else if (!bound.isMissingNode() && !bound.isObject()) {
                throw new CiJwtException(ErrorCode.SIGNED_STEP_INVALID, "job " + job + ", task " + task + ": " + name
                        + " must be an object of resource definitions");
            }
        }
        return of(team, pipeline, job, task, fields);
    }

    /** The same step fields as if signed for another team, pipeline, job and task: to recognise a replayed signature. */
    SignedFields forContext(String otherTeam, String otherPipeline, String otherJob, String otherTask) throws CiJwtException {
        return of(otherTeam, otherPipeline, otherJob, otherTask, stepFields);
    }

    private static SignedFields of(String team, String pipeline, String job, String task, ObjectNode fields)
            throws CiJwtException {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("team", team).put("pipeline", pipeline).put("job", job).put("task", task);
        doc.set("step", fields);
        try {
            byte[] canonical = new JsonCanonicalizer(JSON.writeValueAsString(doc)).getEncodedUTF8();
            return new SignedFields(team, pipeline, job, task, fields, canonical);
        } catch (IOException e) {
            // Numbers outside what RFC 8785 (I-JSON) can represent, for example.
            throw new CiJwtException(ErrorCode.SIGNED_STEP_INVALID, "job " + job + ", task " + task
                    + ": config cannot be put in canonical JSON (RFC 8785): " + e.getMessage());
        }
    }

    public String team() {
        return team;
    }

    public String pipeline() {
        return pipeline;
    }

    public String job() {
        return job;
    }

    public String task() {
        return task;
    }

    /** The RFC 8785 canonical JSON bytes that are signed. */
    public byte[] canonicalJson() {
        return canonical.clone();
    }

    /** {@code sha256:} and the lower-case hex SHA-256 of {@link #canonicalJson()}: the {@code config_digest} claim. */
    public String digest() {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Where the step stands, for messages: {@code team/pipeline job J, task T}. */
    public String where() {
        return team + "/" + pipeline + " job " + job + ", task " + task;
    }

    @Override
    public String toString() {
        return "SignedFields[" + where() + " " + new String(canonical, StandardCharsets.UTF_8).length() + " bytes]";
    }
}
