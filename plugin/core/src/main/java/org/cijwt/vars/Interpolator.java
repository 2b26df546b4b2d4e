package org.cijwt.vars;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * Replaces every {@code ((...))} reference in a task config by its value from the named
 * {@link VarSource} or the local vars, working on the parsed YAML tree so that a value can never
 * change the structure of the document.
 *
 * <p>A string scalar (or mapping key) that is exactly one reference becomes the value itself, with
 * its type: a map, a list, a number or a string. References inside a longer string are replaced
 * by their text, and must then resolve to a string, number or boolean. Values are not scanned
 * again, so a secret that contains {@code ((x))} stays as it is. Each secret is looked up once per
 * call, however often it is referenced.
 */
public final class Interpolator {

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            // Long scripts stay on their lines instead of being folded into YAML continuation lines.
            .disable(YAMLGenerator.Feature.SPLIT_LINES)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .build();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Map<String, VarSource> sources;
    private final ObjectNode localVars;
    private final String defaultSource;

    private Interpolator(Builder builder) {
        this.sources = Map.copyOf(builder.sources);
        this.localVars = YAML.valueToTree(builder.localVars);
        this.defaultSource = builder.defaultSource;
    }

    /** Starts an interpolator with no var sources and no local vars. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Interpolates a YAML document, such as a task config.
     *
     * @param yaml one YAML document
     * @param build the build the values are read for
     * @return the document with every reference replaced; exactly {@code yaml} when it has no references
     * @throws VarSyntaxException when a reference is malformed
     * @throws VarResolutionException when a reference cannot be resolved
     * @throws CiJwtException when the text is not a single YAML document
     */
    public String interpolate(String yaml, BuildMetadata build) throws CiJwtException {
        Objects.requireNonNull(yaml, "yaml");
        Objects.requireNonNull(build, "build");
        JsonNode tree = readSingleDocument(yaml);
        if (tree == null) {
            return yaml;
        }
        Run run = new Run(build);
        JsonNode result = run.node(tree, "");
        if (!run.changed) {
            // Keeps comments and layout of configs that need no secrets.
            return yaml;
        }
        try {
            return YAML.writeValueAsString(result);
        } catch (JsonProcessingException e) {
            // The tree was built from parsed YAML and JSON-like values, so writing it cannot fail on input.
            throw new IllegalStateException("cannot write interpolated YAML", e);
        }
    }

    /** Interpolates a tree already parsed from YAML or JSON; the argument is not modified. */
    public JsonNode interpolate(JsonNode tree, BuildMetadata build) throws CiJwtException {
        Objects.requireNonNull(tree, "tree");
        Objects.requireNonNull(build, "build");
        return new Run(build).node(tree, "");
    }

    /** Interpolates one string as text: every reference is replaced by its value's text. */
    public String interpolateText(String text, BuildMetadata build) throws CiJwtException {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(build, "build");
        return new Run(build).text(text, "");
    }

    /** Resolves one reference, fields included, to its value. */
    public JsonNode resolve(VarReference reference, BuildMetadata build) throws VarResolutionException {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(build, "build");
        return new Run(build).resolve(reference, "");
    }

    private static JsonNode readSingleDocument(String yaml) throws CiJwtException {
        try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            if (!documents.hasNextValue()) {
                return null;
            }
            JsonNode first = documents.nextValue();
            if (documents.hasNextValue()) {
                throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE,
                        "task config holds more than one YAML document; interpolate one at a time");
            }
            return first;
        } catch (JsonProcessingException e) {
            JsonLocation where = e.getLocation();
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, "task config is not valid YAML"
                    + (where == null ? "" : " (line " + where.getLineNr() + ")") + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, "task config cannot be read: " + e.getMessage(), e);
        }
    }

    private static String at(String location) {
        return location.isEmpty() ? "" : " (at " + location + ")";
    }

    private static String child(String location, String key) {
        return location.isEmpty() ? key : location + "." + key;
    }

    private static String kind(JsonNode node) {
        if (node.isObject()) {
            return "a map";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isNull()) {
            return "null";
        }
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isNumber()) {
            return "a number";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        return node.getNodeType().toString().toLowerCase();
    }

    /** The state of one interpolation: the build and the secrets already read for it. */
    private final class Run {
        private final BuildMetadata build;
        private final Map<VarReference, JsonNode> secrets = new HashMap<>();
        private boolean changed;

        Run(BuildMetadata build) {
            this.build = build;
        }

        JsonNode node(JsonNode node, String location) throws CiJwtException {
            if (node.isTextual()) {
                return scalar(node.textValue(), location);
            }
            if (node.isObject()) {
                ObjectNode out = NODES.objectNode();
                for (Map.Entry<String, JsonNode> field : node.properties()) {
                    String key = text(field.getKey(), child(location, field.getKey()));
                    if (out.has(key)) {
                        throw new CiJwtException(ErrorCode.VAR_UNRESOLVED, "key '" + field.getKey()
                                + "' duplicates another key once interpolated" + at(location));
                    }
                    out.set(key, node(field.getValue(), child(location, key)));
                }
                return out;
            }
            if (node.isArray()) {
                ArrayNode out = NODES.arrayNode(node.size());
                for (int i = 0; i < node.size(); i++) {
                    out.add(node(node.get(i), location + "[" + i + "]"));
                }
                return out;
            }
            return node;
        }

        private JsonNode scalar(String value, String location) throws CiJwtException {
            VarTemplate template = template(value, location);
            Optional<VarReference> single = template.singleReference();
            if (single.isPresent()) {
                changed = true;
                return resolve(single.get(), location);
            }
            return template.hasReferences() ? TextNode.valueOf(render(template, location)) : TextNode.valueOf(value);
        }

        String text(String value, String location) throws CiJwtException {
            VarTemplate template = template(value, location);
            return template.hasReferences() ? render(template, location) : value;
        }

        private String render(VarTemplate template, String location) throws VarResolutionException {
            changed = true;
            StringBuilder out = new StringBuilder();
            for (VarTemplate.Part part : template.parts()) {
                if (part instanceof VarTemplate.Literal literal) {
                    out.append(literal.text());
                } else if (part instanceof VarTemplate.Reference ref) {
                    JsonNode value = resolve(ref.reference(), location);
                    if (!(value.isTextual() || value.isNumber() || value.isBoolean())) {
                        throw new VarResolutionException(ref.reference().text() + ": value is " + kind(value)
                                + ", which cannot be embedded in a longer string" + at(location));
                    }
                    out.append(value.asText());
                }
            }
            return out.toString();
        }

        private VarTemplate template(String value, String location) throws VarSyntaxException {
            try {
                return VarTemplate.parse(value);
            } catch (VarSyntaxException e) {
                if (location.isEmpty()) {
                    throw e;
                }
                throw new VarSyntaxException(e.reference(), e.problem() + at(location));
            }
        }

        JsonNode resolve(VarReference reference, String location) throws VarResolutionException {
            JsonNode value = secret(reference, location);
            StringBuilder walked = new StringBuilder(reference.path());
            for (String field : reference.fields()) {
                if (!value.isObject()) {
                    throw new VarResolutionException(reference.text() + ": cannot read field '" + field
                            + "' because '" + walked + "' is " + kind(value) + ", not a map" + at(location));
                }
                JsonNode next = value.get(field);
                if (next == null) {
                    List<String> names = new ArrayList<>();
                    value.properties().forEach(entry -> names.add(entry.getKey()));
                    throw new VarResolutionException(reference.text() + ": field '" + field + "' not found in '"
                            + walked + "' of " + describeSource(reference) + " (fields: "
                            + (names.isEmpty() ? "none" : String.join(", ", names)) + ")" + at(location));
                }
                walked.append('.').append(field);
                value = next;
            }
            return value;
        }

        private JsonNode secret(VarReference reference, String location) throws VarResolutionException {
            if (reference.isLocal()) {
                JsonNode value = localVars.get(reference.path());
                if (value == null) {
                    throw new VarResolutionException(reference.text() + ": local var '" + reference.path()
                            + "' is not set" + at(location));
                }
                return value;
            }
            VarReference key = reference.secret();
            JsonNode cached = secrets.get(key);
            if (cached != null) {
                return cached;
            }
            VarSource source = source(reference, location);
            Optional<Object> found;
            try {
                found = source.lookup(reference, build);
            } catch (VarResolutionException e) {
                throw new VarResolutionException(e.code(), reference.text() + ": var source '" + source.name()
                        + "': " + e.getMessage() + at(location), e);
            }
            Objects.requireNonNull(found, () -> "var source '" + source.name() + "' returned null instead of an Optional");
            if (found.isEmpty()) {
                throw new VarResolutionException(reference.text() + ": '" + reference.path() + "' not found in "
                        + describeSource(reference) + at(location));
            }
            JsonNode value;
            try {
                value = found.get() instanceof JsonNode node ? node : YAML.valueToTree(found.get());
            } catch (IllegalArgumentException e) {
                // No cause attached: conversion errors may quote the value, which is a secret.
                throw new VarResolutionException(reference.text() + ": var source '" + source.name()
                        + "' returned a " + found.get().getClass().getName() + ", which is not a string, number, map or list"
                        + at(location));
            }
            secrets.put(key, value);
            return value;
        }

        private VarSource source(VarReference reference, String location) throws VarResolutionException {
            String name = reference.source() != null ? reference.source() : defaultSource;
            if (name == null) {
                throw new VarResolutionException(reference.text() + ": no var source named and no default var source"
                        + " configured; write ((source:" + reference.text().substring(2) + at(location));
            }
            VarSource source = sources.get(name);
            if (source == null) {
                throw new VarResolutionException(reference.text() + ": unknown var source '" + name + "' (known: "
                        + (sources.isEmpty() ? "none" : String.join(", ", new TreeMap<>(sources).keySet())) + ")"
                        + at(location));
            }
            return source;
        }

        private String describeSource(VarReference reference) {
            if (reference.isLocal()) {
                return "local vars";
            }
            return "var source '" + (reference.source() != null ? reference.source() : defaultSource) + "'";
        }
    }

    /** Collects the var sources, local vars and default source; {@link #build()} freezes them. */
    public static final class Builder {
        private final Map<String, VarSource> sources = new LinkedHashMap<>();
        private final Map<String, Object> localVars = new LinkedHashMap<>();
        private String defaultSource;

        private Builder() {
        }

        /** Adds a var source under its {@link VarSource#name()}; a second source with the same name is an error. */
        public Builder source(VarSource source) {
            Objects.requireNonNull(source, "source");
            String name = source.name();
            if (!VarReference.isValidSourceName(name)) {
                throw new IllegalArgumentException("invalid var source name '" + name + "'");
            }
            if (sources.putIfAbsent(name, source) != null) {
                throw new IllegalArgumentException("var source '" + name + "' is configured twice");
            }
            return this;
        }

        /** Sets a local var, read by {@code ((.name))}. */
        public Builder localVar(String name, Object value) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("local var name must not be empty");
            }
            localVars.put(name, value);
            return this;
        }

        /** Sets every local var in {@code vars}. */
        public Builder localVars(Map<String, ?> vars) {
            Objects.requireNonNull(vars, "vars");
            for (Map.Entry<String, ?> entry : vars.entrySet()) {
                localVar(entry.getKey(), entry.getValue());
            }
            return this;
        }

        /** Names the source that answers references without a source, such as {@code ((some_secret))}. */
        public Builder defaultSource(String name) {
            this.defaultSource = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Builds the interpolator; the default source, when set, must be one of the added sources. */
        public Interpolator build() {
            if (defaultSource != null && !sources.containsKey(defaultSource)) {
                throw new IllegalStateException("default var source '" + defaultSource + "' is not configured");
            }
            return new Interpolator(this);
        }
    }
}
