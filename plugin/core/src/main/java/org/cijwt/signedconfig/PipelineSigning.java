package org.cijwt.signedconfig;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.SigningKey;

/**
 * Signs every task step of a pipeline file ({@code ci-jwt sign-pipeline}) and checks a signed one
 * ({@code ci-jwt verify-pipeline}). Steps are found wherever a job's plan can nest them: {@code do},
 * {@code in_parallel}, {@code try}, {@code across} and the hooks.
 */
public final class PipelineSigning {
    /** The field a signed task step carries its signature in. */
    public static final String SIGNATURE_FIELD = "signature";

    /** Fields of a step that hold further steps. */
    private static final Set<String> NESTING = Set.of("do", "in_parallel", "steps", "try", "across", "on_success",
            "on_failure", "on_abort", "on_error", "ensure");

    private static final YAMLMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    private PipelineSigning() {
    }

    /** One task step found in a pipeline, with its job. */
    public record Step(String job, ObjectNode node) {
        public String task() {
            return node.path("task").asText();
        }
    }

    /** The result of checking one step of a pipeline file. */
    public record StepResult(String job, String task, ConfigVerification verification) {
    }

    /** The pipeline with a {@value #SIGNATURE_FIELD} on every task step, as YAML (comments are not kept). */
    public static String sign(String pipelineYaml, String origin, String team, String pipeline, SigningKey key)
            throws CiJwtException {
        JsonNode doc = read(pipelineYaml, origin);
        for (Step step : taskSteps(doc, origin)) {
            step.node().remove(SIGNATURE_FIELD);
            SignedFields fields = SignedFields.of(team, pipeline, step.job(), step.node());
            step.node().put(SIGNATURE_FIELD, StepSignatures.sign(fields, key));
        }
        try {
            return YAML.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree read from YAML is always writable", e);
        }
    }

    /** Checks every task step of a signed pipeline against the pinned keys. */
    public static List<StepResult> verify(String pipelineYaml, String origin, String team, String pipeline, KeyRing pinned)
            throws CiJwtException {
        List<StepResult> results = new ArrayList<>();
        for (Step step : taskSteps(read(pipelineYaml, origin), origin)) {
            SignedFields fields = SignedFields.of(team, pipeline, step.job(), step.node());
            String signature = step.node().path(SIGNATURE_FIELD).isTextual() ? step.node().get(SIGNATURE_FIELD).asText() : null;
            results.add(new StepResult(step.job(), step.task(), StepSignatures.verify(fields, signature, pinned)));
        }
        return results;
    }

    /** Every task step of every job, in file order. */
    public static List<Step> taskSteps(JsonNode pipelineDoc, String origin) throws CiJwtException {
        JsonNode jobs = pipelineDoc.path("jobs");
        if (!jobs.isArray()) {
            throw new CiJwtException(ErrorCode.SIGNED_STEP_INVALID, origin + ": has no jobs: list");
        }
        List<Step> steps = new ArrayList<>();
        for (JsonNode job : jobs) {
            if (!job.path("name").isTextual()) {
                throw new CiJwtException(ErrorCode.SIGNED_STEP_INVALID, origin + ": a job has no name");
            }
            String name = job.get("name").asText();
            collect(job.path("plan"), name, steps);
            for (String hook : NESTING) {
                collect(job.path(hook), name, steps);
            }
        }
        return steps;
    }

    private static void collect(JsonNode node, String job, List<Step> into) {
        if (node.isArray()) {
            node.forEach(n -> collect(n, job, into));
        } else if (node.isObject()) {
            if (node.has("task")) {
                into.add(new Step(job, (ObjectNode) node));
            }
            for (String field : NESTING) {
                if (node.has(field)) {
                    collect(node.get(field), job, into);
                }
            }
        }
    }

    static JsonNode read(String yaml, String origin) throws CiJwtException {
        try {
            JsonNode doc = YAML.readTree(yaml);
            if (doc == null || !doc.isObject()) {
                throw new CiJwtException(ErrorCode.SIGNED_STEP_INVALID, origin + ": is not a pipeline (a YAML mapping)");
            }
            return doc;
        } catch (JsonProcessingException e) {
            String line = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, origin + ": is not valid YAML" + line);
        }
    }
}
