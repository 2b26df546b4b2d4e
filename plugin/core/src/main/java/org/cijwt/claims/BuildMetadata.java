package org.cijwt.claims;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;

/**
 * What a build is: the facts a worker knows at container pre-flight. Only {@code team} and
 * {@code buildid} are required (a one-off build has no pipeline or job); absent values are null
 * and their claims are omitted.
 */
public record BuildMetadata(
        String team,
        String teamId,
        String pipeline,
        String pipelineId,
        Map<String, Object> instanceVars,
        String job,
        String jobId,
        String buildId,
        String buildName,
        String task,
        String stepType,
        String worker,
        JsonNode signedStep,
        ConfigClaims config) {

    /** The metadata key of the task step as written in the pipeline, with its signature (docs/design.md). */
    public static final String SIGNED_STEP = "signed_step";

    /** Duplicate keys are refused (the last one would silently win); floats keep every digit for the exactness check. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate (?:field|Object property) [\"'](.*)[\"']");

    public BuildMetadata {
        Objects.requireNonNull(team, "team");
        Objects.requireNonNull(buildId, "buildid");
        // Sorted so that the sub claim and instance_vars serialise the same way every time.
        instanceVars = instanceVars == null
                ? Map.of()
                : Collections.unmodifiableMap(new TreeMap<>(instanceVars));
        signedStep = signedStep == null ? null : signedStep.deepCopy();
    }

    /** The same build with the outcome of its task-config check, for the token's config claims. */
    public BuildMetadata withConfig(ConfigClaims outcome) {
        return new BuildMetadata(team, teamId, pipeline, pipelineId, instanceVars, job, jobId, buildId, buildName, task,
                stepType, worker, signedStep, outcome);
    }

    /**
     * The metadata as a metadata file writes it (claim names as keys, absent values left out), so
     * that {@link #fromJson} reads back the same build; the config check's outcome is not part of it.
     */
    public com.fasterxml.jackson.databind.node.ObjectNode toJson() {
        com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode();
        o.put(ClaimNames.TEAM, team);
        putIfSet(o, ClaimNames.TEAM_ID, teamId);
        putIfSet(o, ClaimNames.PIPELINE, pipeline);
        putIfSet(o, ClaimNames.PIPELINE_ID, pipelineId);
        if (!instanceVars.isEmpty()) {
            o.set(ClaimNames.INSTANCE_VARS, JSON.valueToTree(instanceVars));
        }
        putIfSet(o, ClaimNames.JOB, job);
        putIfSet(o, ClaimNames.JOB_ID, jobId);
        o.put(ClaimNames.BUILD_ID, buildId);
        putIfSet(o, ClaimNames.BUILD_NAME, buildName);
        putIfSet(o, ClaimNames.TASK, task);
        putIfSet(o, ClaimNames.STEP_TYPE, stepType);
        putIfSet(o, ClaimNames.WORKER, worker);
        if (signedStep != null) {
            o.set(SIGNED_STEP, signedStep.deepCopy());
        }
        return o;
    }

    private static void putIfSet(com.fasterxml.jackson.databind.node.ObjectNode o, String key, String value) {
        if (value != null) {
            o.put(key, value);
        }
    }

    /** The signed step as it travelled with the metadata, if it did. */
    public java.util.Optional<JsonNode> signedStepNode() {
        return java.util.Optional.ofNullable(signedStep).map(JsonNode::deepCopy);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Reads metadata from a JSON file whose keys are the claim names; unknown keys are an error. */
    public static BuildMetadata fromJsonFile(Path file) throws CiJwtException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CiJwtException(ErrorCode.METADATA_INVALID, "metadata file " + file + " does not exist");
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.METADATA_INVALID,
                    "metadata file " + file + " cannot be read: " + e.getMessage());
        }
        return fromJson(text, "metadata file " + file);
    }

    /** Reads metadata from JSON text; {@code origin} names the input in error messages. */
    public static BuildMetadata fromJson(String json, String origin) throws CiJwtException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonParseException e) {
            Matcher dup = DUPLICATE.matcher(e.getOriginalMessage());
            if (dup.find()) {
                throw new CiJwtException(ErrorCode.METADATA_INVALID, origin + " has the key " + Printable.quoted(dup.group(1))
                        + " twice (line " + e.getLocation().getLineNr() + "); a key may appear once");
            }
            throw new CiJwtException(ErrorCode.METADATA_INVALID,
                    origin + " is not valid JSON (line " + e.getLocation().getLineNr() + ")");
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.METADATA_INVALID, origin + " is not valid JSON");
        }
        if (!(root instanceof ObjectNode object)) {
            throw new CiJwtException(ErrorCode.METADATA_INVALID, origin + " must be a JSON object");
        }
        Builder b = builder();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            if (key.equals(SIGNED_STEP)) {
                if (!value.isObject()) {
                    throw new CiJwtException(ErrorCode.METADATA_INVALID, origin + ": signed_step must be the task step as"
                            + " written in the pipeline (a JSON object)");
                }
                b.signedStep(value);
                continue;
            }
            if (key.equals(ClaimNames.INSTANCE_VARS)) {
                if (!value.isObject()) {
                    throw new CiJwtException(ErrorCode.METADATA_INVALID,
                            origin + ": instance_vars must be a JSON object");
                }
                b.instanceVars(instanceVars(value, origin));
                continue;
            }
            String text = scalar(origin, key, value);
            switch (key) {
                case ClaimNames.TEAM -> b.team(text);
                case ClaimNames.TEAM_ID -> b.teamId(text);
                case ClaimNames.PIPELINE -> b.pipeline(text);
                case ClaimNames.PIPELINE_ID -> b.pipelineId(text);
                case ClaimNames.JOB -> b.job(text);
                case ClaimNames.JOB_ID -> b.jobId(text);
                case ClaimNames.BUILD_ID -> b.buildId(text);
                case ClaimNames.BUILD_NAME -> b.buildName(text);
                case ClaimNames.TASK -> b.task(text);
                case ClaimNames.STEP_TYPE -> b.stepType(text);
                case ClaimNames.WORKER -> b.worker(text);
                default -> throw new CiJwtException(ErrorCode.METADATA_INVALID,
                        origin + ": unknown key " + Printable.quoted(key) + " (known keys: " + String.join(", ", ClaimNames.BUILD) + ", " + SIGNED_STEP + ")");
            }
        }
        return b.build(origin);
    }

    /** Instance vars keep their JSON types (a number is not the string of its digits), normalized once. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> instanceVars(JsonNode value, String origin) throws CiJwtException {
        return (Map<String, Object>) CanonicalJson.normalize(value, origin, ClaimNames.INSTANCE_VARS);
    }

    private static String scalar(String origin, String key, JsonNode value) throws CiJwtException {
        // Ids arrive as numbers from some callers; claims always carry them as strings.
        if (value.isTextual() || value.isIntegralNumber()) {
            return value.asText();
        }
        throw new CiJwtException(ErrorCode.METADATA_INVALID,
                origin + ": '" + key + "' must be a string, not " + value.getNodeType().toString().toLowerCase());
    }

    /** Builder for library callers; {@link #build(String)} validates the required fields. */
    public static final class Builder {
        private String team;
        private String teamId;
        private String pipeline;
        private String pipelineId;
        private Map<String, Object> instanceVars = Map.of();
        private String job;
        private String jobId;
        private String buildId;
        private String buildName;
        private String task;
        private String stepType;
        private String worker;
        private JsonNode signedStep;

        public Builder team(String v) { this.team = v; return this; }
        public Builder teamId(String v) { this.teamId = v; return this; }
        public Builder pipeline(String v) { this.pipeline = v; return this; }
        public Builder pipelineId(String v) { this.pipelineId = v; return this; }
        public Builder instanceVars(Map<String, Object> v) { this.instanceVars = v; return this; }
        public Builder job(String v) { this.job = v; return this; }
        public Builder jobId(String v) { this.jobId = v; return this; }
        public Builder buildId(String v) { this.buildId = v; return this; }
        public Builder buildName(String v) { this.buildName = v; return this; }
        public Builder task(String v) { this.task = v; return this; }
        public Builder stepType(String v) { this.stepType = v; return this; }
        public Builder worker(String v) { this.worker = v; return this; }
        public Builder signedStep(JsonNode v) { this.signedStep = v; return this; }

        public BuildMetadata build() throws CiJwtException {
            return build("build metadata");
        }

        BuildMetadata build(String origin) throws CiJwtException {
            require(origin, ClaimNames.TEAM, team);
            require(origin, ClaimNames.BUILD_ID, buildId);
            return new BuildMetadata(team, teamId, pipeline, pipelineId, normalized(origin), job, jobId,
                    buildId, buildName, task, stepType, worker, signedStep, null);
        }

        /** Instance vars as parsed JSON would give them, so a library caller's 1 and 1.0 are one value. */
        @SuppressWarnings("unchecked")
        private Map<String, Object> normalized(String origin) throws CiJwtException {
            if (instanceVars == null || instanceVars.isEmpty()) {
                return Map.of();
            }
            return (Map<String, Object>) CanonicalJson.normalize(instanceVars, origin, ClaimNames.INSTANCE_VARS);
        }

        private static void require(String origin, String key, String value) throws CiJwtException {
            if (value == null || value.isEmpty()) {
                throw new CiJwtException(ErrorCode.METADATA_INVALID, origin + ": '" + key + "' is required");
            }
        }
    }
}
