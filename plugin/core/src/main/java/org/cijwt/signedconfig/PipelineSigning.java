package org.cijwt.signedconfig;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;
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

    /** One task step found in a pipeline, with its job (its name and its node). */
    public record Step(String job, ObjectNode node, JsonNode jobNode) {
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
            SignedFields fields = SignedFields.of(team, pipeline, step.job(), signedStep(doc, step, origin));
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
        JsonNode doc = read(pipelineYaml, origin);
        for (Step step : taskSteps(doc, origin)) {
            SignedFields fields = SignedFields.of(team, pipeline, step.job(), signedStep(doc, step, origin));
            String signature = step.node().path(SIGNATURE_FIELD).isTextual() ? step.node().get(SIGNATURE_FIELD).asText() : null;
            results.add(new StepResult(step.job(), step.task(), StepSignatures.verify(fields, signature, pinned)));
        }
        return results;
    }

    /**
     * The step as the build metadata's {@code signed_step} carries it, and as it is signed: the
     * step as written (with its signature, if any), plus the definitions of the resources that
     * fill its image ({@code image:}) and inputs ({@code config.inputs}, through
     * {@code input_mapping}), found through the job's {@code get} and {@code put} steps, and the
     * custom resource types they use. An artifact another task of the job produces binds nothing:
     * that task is signed on its own.
     */
    public static ObjectNode signedStep(JsonNode pipelineDoc, Step step, String origin) throws CiJwtException {
        Map<String, String> artifacts = new TreeMap<>();
        collectArtifacts(step.jobNode(), artifacts);
        Set<String> used = new TreeSet<>();
        if (step.node().path("image").isTextual()) {
            used.add(step.node().get("image").asText());
        }
        JsonNode mapping = step.node().path("input_mapping");
        for (JsonNode input : step.node().path("config").path("inputs")) {
            String name = input.path("name").asText("");
            used.add(mapping.path(name).isTextual() ? mapping.get(name).asText() : name);
        }
        ObjectNode resources = JsonNodeFactory.instance.objectNode();
        ObjectNode types = JsonNodeFactory.instance.objectNode();
        for (String artifact : used) {
            String resource = artifacts.get(artifact);
            if (resource == null) {
                continue;
            }
            JsonNode definition = named(pipelineDoc.path("resources"), resource);
            if (definition == null) {
                throw new CiJwtException(ErrorCode.SIGNED_STEP_INVALID, origin + ": job " + step.job() + ", task " + step.task()
                        + ": uses resource " + Printable.quoted(resource) + ", which resources: does not define");
            }
            resources.set(resource, typeAndSource(definition));
            bindType(pipelineDoc, definition.path("type").asText(""), types);
        }
        ObjectNode signed = step.node().deepCopy();
        signed.remove(SignedFields.RESOURCES);
        signed.remove(SignedFields.RESOURCE_TYPES);
        if (!resources.isEmpty()) {
            signed.set(SignedFields.RESOURCES, resources);
        }
        if (!types.isEmpty()) {
            signed.set(SignedFields.RESOURCE_TYPES, types);
        }
        return signed;
    }

    /** The {@code signed_step} for the first task step named {@code task} of {@code job} in a pipeline file. */
    public static ObjectNode signedStep(String pipelineYaml, String origin, String job, String task) throws CiJwtException {
        JsonNode doc = read(pipelineYaml, origin);
        for (Step step : taskSteps(doc, origin)) {
            if (step.job().equals(job) && step.task().equals(task)) {
                return signedStep(doc, step, origin);
            }
        }
        throw new CiJwtException(ErrorCode.SIGNED_STEP_INVALID, origin + ": has no task " + Printable.quoted(task) + " in job "
                + Printable.quoted(job));
    }

    /** Artifact name to resource name, for every get and put step of the job (puts fetch what they pushed). */
    private static void collectArtifacts(JsonNode node, Map<String, String> into) {
        if (node.isArray()) {
            node.forEach(n -> collectArtifacts(n, into));
        } else if (node.isObject()) {
            for (String verb : List.of("get", "put")) {
                if (node.path(verb).isTextual()) {
                    String artifact = node.get(verb).asText();
                    into.put(artifact, node.path("resource").isTextual() ? node.get("resource").asText() : artifact);
                }
            }
            node.fields().forEachRemaining(f -> {
                if (f.getKey().equals("plan") || NESTING.contains(f.getKey())) {
                    collectArtifacts(f.getValue(), into);
                }
            });
        }
    }

    /** A resource type and those it is built on, up to a type Concourse provides, each once. */
    private static void bindType(JsonNode pipelineDoc, String type, ObjectNode into) {
        while (!type.isEmpty() && !into.has(type)) {
            JsonNode custom = named(pipelineDoc.path("resource_types"), type);
            if (custom == null) {
                return;
            }
            into.set(type, typeAndSource(custom));
            type = custom.path("type").asText("");
        }
    }

    private static ObjectNode typeAndSource(JsonNode definition) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set("type", definition.path("type").deepCopy());
        o.set("source", definition.has("source") ? definition.get("source").deepCopy() : JsonNodeFactory.instance.objectNode());
        return o;
    }

    private static JsonNode named(JsonNode list, String name) {
        for (JsonNode n : list) {
            if (name.equals(n.path("name").asText(null))) {
                return n;
            }
        }
        return null;
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
            collect(job.path("plan"), name, job, steps);
            for (String hook : NESTING) {
                collect(job.path(hook), name, job, steps);
            }
        }
        return steps;
    }

    private static void collect(JsonNode node, String job, JsonNode jobNode, List<Step> into) {
        if (node.isArray()) {
            node.forEach(n -> collect(n, job, jobNode, into));
        } else if (node.isObject()) {
            if (node.has("task")) {
                into.add(new Step(job, (ObjectNode) node, jobNode));
            }
            for (String field : NESTING) {
                if (node.has(field)) {
                    collect(node.get(field), job, jobNode, into);
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
