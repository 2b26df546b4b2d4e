package org.cijwt.delivery;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.cijwt.io.SecureFiles;

/**
 * An OCI runtime spec ({@code config.json}) as an immutable JSON tree, to which a {@link DeliveryPlan}
 * can be applied and from which it can be reverted exactly.
 *
 * <p>Every field the plan does not touch is kept as it was, including fields this class does not know.
 * What was added is recorded in the annotation {@value #ANNOTATION}, so {@link #revert()} removes
 * exactly that and nothing the task configured itself.
 */
public final class OciSpec {

    /** File name of the runtime spec inside a bundle. */
    public static final String CONFIG_FILE = "config.json";

    /** Annotation recording what {@link #apply(DeliveryPlan)} added. */
    public static final String ANNOTATION = "org.cijwt.preflight";

    private static final int RECORD_VERSION = 1;
    private static final String CREATED_ENV = "process.env";
    private static final String CREATED_MOUNTS = "mounts";
    private static final String CREATED_ANNOTATIONS = "annotations";

    private static final Set<PosixFilePermission> NEW_FILE_PERMISSIONS = PosixFilePermissions.fromString("rw-------");

    // Exact numbers survive a round trip; duplicate keys are refused because runtimes disagree on which wins.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private final ObjectNode root;

    private OciSpec(ObjectNode root) {
        this.root = root;
    }

    /** The result of applying a plan: the new spec and the warnings for the task's own variables that won. */
    public record Applied(OciSpec spec, List<DeliveryWarning> warnings) {

        public Applied {
            Objects.requireNonNull(spec, "spec");
            warnings = List.copyOf(warnings);
        }
    }

    /** Reads a runtime spec file. */
    public static OciSpec read(Path configJson) throws DeliveryException {
        String text;
        try {
            text = Files.readString(configJson, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new DeliveryException(configJson + " does not exist");
        } catch (IOException e) {
            throw new DeliveryException("cannot read " + configJson + ": " + e.getMessage(), e);
        }
        return parse(text, configJson.toString());
    }

    /** Parses a runtime spec from JSON text. */
    public static OciSpec parse(String json) throws DeliveryException {
        return parse(json, CONFIG_FILE);
    }

    private static OciSpec parse(String json, String name) throws DeliveryException {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            // Jackson's own message can quote the offending text, which may be a token: report the place only.
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new DeliveryException(name + " is not valid JSON" + where);
        }
        if (node == null || !node.isObject()) {
            throw new DeliveryException(name + " is not a JSON object");
        }
        return new OciSpec((ObjectNode) node);
    }

    /** A copy of the JSON tree. */
    public ObjectNode json() {
        return root.deepCopy();
    }

    /** The spec as indented JSON text. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be serialised", e);
        }
    }

    /** Whether a plan has been applied to this spec (its annotation is present). */
    public boolean isApplied() {
        JsonNode annotations = root.get("annotations");
        return annotations != null && annotations.has(ANNOTATION);
    }

    /**
     * Returns a spec with the plan's variables and read-only token mount added.
     *
     * <p>A variable the task already sets keeps the task's value, and a warning names it. A spec that
     * already carries an earlier plan has that plan reverted first, so pre-flight can run again.
     *
     * @throws DeliveryException when the spec already mounts something at or under
     *     {@link DeliveryPlan#CONTAINER_TOKEN_DIR}, or its shape is not an OCI runtime spec
     */
    public Applied apply(DeliveryPlan plan) throws DeliveryException {
        return apply(plan, null);
    }

    /**
     * Applies the plan, also checking mounts through the symbolic links of the container's root
     * file system at {@code bundle}'s {@code root.path}: in many images {@code /var/run} links to
     * {@code /run}, so a task mount at {@code /run/secrets/concourse-ci} would land on ours.
     */
    public Applied apply(DeliveryPlan plan, Path bundle) throws DeliveryException {
        Objects.requireNonNull(plan, "plan");
        ObjectNode next = (isApplied() ? revert().root : root).deepCopy();
        List<String> created = new ArrayList<>();

        ArrayNode mounts = arrayField(next, "mounts", CREATED_MOUNTS, created);
        refuseConflictingMounts(mounts, plan, rootFileSystem(next, bundle));

        List<DeliveryWarning> warnings = new ArrayList<>();
        List<String> added = new ArrayList<>();
        if (!plan.environment().isEmpty()) {
            JsonNode process = next.get("process");
            if (process == null || !process.isObject()) {
                throw new DeliveryException(CONFIG_FILE + " has no process object to add environment variables to");
            }
            ArrayNode env = arrayField((ObjectNode) process, "env", CREATED_ENV, created);
            Set<String> existing = variableNames(env);
            for (Map.Entry<String, String> variable : plan.environment().entrySet()) {
                if (existing.contains(variable.getKey())) {
                    warnings.add(DeliveryWarning.taskVariableWins(variable.getKey()));
                } else {
                    env.add(variable.getKey() + "=" + variable.getValue());
                    added.add(variable.getKey());
                }
            }
        }

        ObjectNode mount = mounts.addObject();
        mount.put("destination", DeliveryPlan.CONTAINER_TOKEN_DIR);
        mount.put("type", "bind");
        mount.put("source", plan.tokenDirectory().toString());
        ArrayNode options = mount.putArray("options");
        DeliveryPlan.MOUNT_OPTIONS.forEach(options::add);

        JsonNode annotationsNode = next.get("annotations");
        if (annotationsNode == null) {
            created.add(CREATED_ANNOTATIONS);
            annotationsNode = next.putObject("annotations");
        } else if (!annotationsNode.isObject()) {
            throw new DeliveryException(CONFIG_FILE + " has annotations that are not a JSON object");
        }
        ObjectNode record = JSON.createObjectNode();
        record.put("version", RECORD_VERSION);
        record.put("source", plan.tokenDirectory().toString());
        record.put("destination", DeliveryPlan.CONTAINER_TOKEN_DIR);
        added.forEach(record.putArray("env")::add);
        created.forEach(record.putArray("created")::add);
        // OCI annotations are string to string, so the record is JSON inside a string.
        ((ObjectNode) annotationsNode).put(ANNOTATION, record.toString());
        return new Applied(new OciSpec(next), warnings);
    }

    /**
     * Returns a spec without what an earlier {@link #apply(DeliveryPlan)} added: its variables, its
     * mount, the annotation, and any of {@code process.env}, {@code mounts}, {@code annotations} it created.
     * A spec without the annotation is returned unchanged.
     */
    public OciSpec revert() throws DeliveryException {
        if (!isApplied()) {
            return this;
        }
        ObjectNode next = root.deepCopy();
        ObjectNode annotations = (ObjectNode) next.get("annotations");
        JsonNode record = readRecord(annotations.get(ANNOTATION));
        Set<String> created = new HashSet<>();
        record.path("created").forEach(c -> created.add(c.asText()));
        Set<String> addedVariables = new HashSet<>();
        record.path("env").forEach(v -> addedVariables.add(v.asText()));
        String source = record.path("source").asText();
        String destination = record.path("destination").asText();

        JsonNode process = next.get("process");
        if (process != null && process.isObject() && process.get("env") instanceof ArrayNode env) {
            removeIf(env, entry -> entry.isTextual() && addedVariables.contains(nameOf(entry.asText())));
            if (env.isEmpty() && created.contains(CREATED_ENV)) {
                ((ObjectNode) process).remove("env");
            }
        }
        if (next.get("mounts") instanceof ArrayNode mounts) {
            removeIf(mounts, m -> destination.equals(m.path("destination").asText(null))
                    && source.equals(m.path("source").asText(null)));
            if (mounts.isEmpty() && created.contains(CREATED_MOUNTS)) {
                next.remove("mounts");
            }
        }
        annotations.remove(ANNOTATION);
        if (annotations.isEmpty() && created.contains(CREATED_ANNOTATIONS)) {
            next.remove("annotations");
        }
        return new OciSpec(next);
    }

    /** Writes the spec to {@code configJson} atomically, keeping the file's permissions if it exists. */
    public void write(Path configJson) throws DeliveryException {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.exists(configJson) ? Files.getPosixFilePermissions(configJson) : NEW_FILE_PERMISSIONS;
        } catch (IOException e) {
            throw new DeliveryException("cannot read the permissions of " + configJson + ": " + SecureFiles.reason(e), e);
        }
        write(configJson, permissions);
    }

    /** Writes the spec to {@code configJson} atomically with the given permissions. */
    public void write(Path configJson, Set<PosixFilePermission> permissions) throws DeliveryException {
        try {
            SecureFiles.replace(configJson, (toJson() + "\n").getBytes(StandardCharsets.UTF_8), permissions);
        } catch (IOException e) {
            throw new DeliveryException("cannot write " + configJson + ": " + SecureFiles.reason(e), e);
        }
    }

    /**
     * Applies the plan to {@code bundle/config.json} in place, atomically, and returns the warnings.
     *
     * <p>The file is left 0600 (owner only): once the plan adds {@code CONCOURSE_CI_JWT} it holds a token.
     */
    public static List<DeliveryWarning> applyToBundle(Path bundle, DeliveryPlan plan) throws DeliveryException {
        Path config = bundle.resolve(CONFIG_FILE);
        Applied applied = read(config).apply(plan, bundle);
        applied.spec().write(config, SecureFiles.PRIVATE);
        return applied.warnings();
    }

    /** The host token directory an applied plan mounts, as its annotation records it; empty when none is applied. */
    public Optional<Path> appliedTokenDirectory() throws DeliveryException {
        if (!isApplied()) {
            return Optional.empty();
        }
        return Optional.of(Path.of(readRecord(root.get("annotations").get(ANNOTATION)).path("source").asText()));
    }

    /**
     * Reverts an earlier plan in {@code bundle/config.json} in place, atomically.
     *
     * @return whether there was anything to revert
     */
    public static boolean revertBundle(Path bundle) throws DeliveryException {
        Path config = bundle.resolve(CONFIG_FILE);
        OciSpec spec = read(config);
        if (!spec.isApplied()) {
            return false;
        }
        spec.revert().write(config);
        return true;
    }

    /**
     * Refuses mounts at or under the reserved path, as written or as they resolve through the
     * root file system's symbolic links; earlier mounts above it are fine, ours comes last.
     */
    private static void refuseConflictingMounts(ArrayNode mounts, DeliveryPlan plan, Path rootfs) throws DeliveryException {
        String reserved = DeliveryPlan.CONTAINER_TOKEN_DIR;
        String reservedResolved = rootfs == null ? reserved : resolveInRoot(rootfs, reserved);
        for (int i = 0; i < mounts.size(); i++) {
            JsonNode mount = mounts.get(i);
            JsonNode destinationNode = mount.get("destination");
            if (!mount.isObject() || destinationNode == null || !destinationNode.isTextual()) {
                throw new DeliveryException(CONFIG_FILE + " mount #" + (i + 1) + " has no destination");
            }
            String destination = normalize(destinationNode.asText());
            String resolved = rootfs == null ? destination : resolveInRoot(rootfs, destination);
            boolean same = destination.equals(reserved) || resolved.equals(reservedResolved);
            if (same || destination.startsWith(reserved + "/") || resolved.startsWith(reservedResolved + "/")) {
                JsonNode source = mount.get("source");
                String what = source != null && source.isTextual()
                        ? source.asText()
                        : "a " + mount.path("type").asText("mount");
                String via = resolved.equals(destination) ? "" : " (" + resolved + " in the image)";
                throw new DeliveryException(CONFIG_FILE + " mounts " + what + " at " + destinationNode.asText() + via
                        + ", which is " + (same ? "" : "inside ") + "the reserved token path " + reserved
                        + (reservedResolved.equals(reserved) ? "" : " (" + reservedResolved + " in the image)")
                        + " where ci-jwt mounts " + plan.tokenDirectory());
            }
        }
    }

    /** The bundle's root file system when it is on disk, else null (then paths are compared as written). */
    private static Path rootFileSystem(ObjectNode spec, Path bundle) {
        if (bundle == null) {
            return null;
        }
        JsonNode path = spec.path("root").path("path");
        if (!path.isTextual() || path.asText().isEmpty()) {
            return null;
        }
        Path rootfs = bundle.resolve(path.asText());
        return Files.isDirectory(rootfs) ? rootfs : null;
    }

    /** Follows at most this many links, as the kernel's own limit of 40 does. */
    private static final int MAX_LINKS = 40;

    /**
     * Resolves a container path the way the runtime does: component by component inside
     * {@code rootfs}, following symbolic links, with absolute link targets and {@code ..} kept
     * within the root. Missing components are taken as written.
     */
    static String resolveInRoot(Path rootfs, String containerPath) {
        java.util.Deque<String> pending = new java.util.ArrayDeque<>(components(containerPath));
        java.util.Deque<String> done = new java.util.ArrayDeque<>();
        int links = 0;
        while (!pending.isEmpty()) {
            String part = pending.pollFirst();
            if (part.equals("..")) {
                done.pollLast();
                continue;
            }
            Path host = rootfs.resolve(String.join("/", done)).resolve(part);
            if (links < MAX_LINKS && Files.isSymbolicLink(host)) {
                links++;
                String target;
                try {
                    target = Files.readSymbolicLink(host).toString();
                } catch (java.io.IOException e) {
                    done.addLast(part);
                    continue;
                }
                if (target.startsWith("/")) {
                    done.clear();
                }
                List<String> targetParts = components(target);
                for (int i = targetParts.size() - 1; i >= 0; i--) {
                    pending.addFirst(targetParts.get(i));
                }
                continue;
            }
            done.addLast(part);
        }
        return "/" + String.join("/", done);
    }

    private static List<String> components(String path) {
        List<String> out = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty() && !part.equals(".")) {
                out.add(part);
            }
        }
        return out;
    }

    /** Resolves {@code .}, {@code ..} and repeated slashes the way the runtime does inside the root. */
    static String normalize(String destination) {
        String absolute = destination.startsWith("/") ? destination : "/" + destination;
        return Path.of(absolute).normalize().toString();
    }

    private static ArrayNode arrayField(ObjectNode parent, String field, String label, List<String> created)
            throws DeliveryException {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            created.add(label);
            return parent.putArray(field);
        }
        if (!node.isArray()) {
            throw new DeliveryException(CONFIG_FILE + " field " + label + " is not a JSON array");
        }
        return (ArrayNode) node;
    }

    private static Set<String> variableNames(ArrayNode env) {
        Set<String> names = new HashSet<>();
        env.forEach(entry -> names.add(nameOf(entry.asText())));
        return names;
    }

    private static String nameOf(String entry) {
        int eq = entry.indexOf('=');
        return eq < 0 ? entry : entry.substring(0, eq);
    }

    private static JsonNode readRecord(JsonNode annotation) throws DeliveryException {
        String problem = CONFIG_FILE + " annotation " + ANNOTATION + " was not written by this version of ci-jwt";
        if (annotation == null || !annotation.isTextual()) {
            throw new DeliveryException(problem);
        }
        JsonNode record;
        try {
            record = JSON.readTree(annotation.asText());
        } catch (JsonProcessingException e) {
            throw new DeliveryException(problem);
        }
        if (record == null || record.path("version").asInt() != RECORD_VERSION
                || !record.path("source").isTextual() || !record.path("destination").isTextual()) {
            throw new DeliveryException(problem);
        }
        return record;
    }

    private static void removeIf(ArrayNode array, Predicate<JsonNode> condition) {
        for (int i = array.size() - 1; i >= 0; i--) {
            if (condition.test(array.get(i))) {
                array.remove(i);
            }
        }
    }
}
