package org.cijwt.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.FileOwner;

/**
 * ci-jwt's own account of one delivery into a container, kept in its state directory (never in the bundle):
 * the token directory it created, the files it wrote there, whom it gave them to, and the {@link SpecPatch}
 * it applied to {@code config.json}. Clean-up and a repeated delivery undo exactly this, and nothing that
 * {@code config.json} claims.
 *
 * <p>It is written {@link Status#PENDING} before the first file and {@link Status#DELIVERED} once
 * {@code config.json} is patched, so a crash anywhere in between leaves a record from which the delivery can
 * be undone. It holds names, paths and digests, never a token.
 *
 * @param key what the delivery is filed under: {@link DeliveryRecords#bundleKey} or {@link DeliveryRecords#containerKey}
 * @param specSha256 the SHA-256 of {@code config.json} as the delivery writes it, to tell whether it was changed since
 */
public record DeliveryRecord(String key, Path bundle, Status status, Path tokenDirectory, List<String> tokenFiles,
                             FileOwner reader, SpecPatch patch, String specSha256) {

    /** The version of the stored form; a record of another version is not trusted. */
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /** How far the delivery got. */
    public enum Status {
        /** Recorded before anything was written: the files and the patch may be there in part or not at all. */
        PENDING,
        /** The files are written and {@code config.json} is patched. */
        DELIVERED
    }

    public DeliveryRecord {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("a delivery record needs a key");
        }
        requireAbsolute(bundle, "bundle");
        Objects.requireNonNull(status, "status");
        requireAbsolute(tokenDirectory, "tokenDirectory");
        tokenFiles = List.copyOf(new LinkedHashSet<>(tokenFiles));
        tokenFiles.forEach(TokenDirectory::requireValidName);
        Objects.requireNonNull(reader, "reader");
        Objects.requireNonNull(patch, "patch");
        if (!patch.mount().source().equals(tokenDirectory.toString())) {
            throw new IllegalArgumentException("the recorded mount's source " + patch.mount().source()
                    + " is not the recorded token directory " + tokenDirectory);
        }
        SpecPatch.requireSha256(specSha256, "specSha256");
    }

    /** This record, marked delivered. */
    public DeliveryRecord delivered() {
        return new DeliveryRecord(key, bundle, Status.DELIVERED, tokenDirectory, tokenFiles, reader, patch, specSha256);
    }

    /** The stored form: indented JSON. */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        root.put("key", key);
        root.put("bundle", bundle.toString());
        root.put("status", status.name().toLowerCase(Locale.ROOT));
        root.put("tokenDirectory", tokenDirectory.toString());
        tokenFiles.forEach(root.putArray("tokenFiles")::add);
        ObjectNode ids = root.putObject("reader");
        ids.put("uid", reader.uid());
        ids.put("gid", reader.gid());
        ArrayNode variables = root.putArray("variables");
        for (SpecPatch.AddedVariable v : patch.variables()) {
            variables.addObject().put("name", v.name()).put("sha256", v.sha256());
        }
        ObjectNode mount = root.putObject("mount");
        mount.put("destination", patch.mount().destination());
        mount.put("source", patch.mount().source());
        patch.mount().options().forEach(mount.putArray("options")::add);
        ArrayNode created = root.putArray("created");
        patch.created().stream().sorted().forEach(c -> created.add(c.path()));
        root.put("specSha256", specSha256);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be serialised", e);
        }
    }

    /**
     * Reads the stored form; anything unexpected (an unknown or missing field, another version, a bad value)
     * makes the whole record untrusted.
     *
     * @throws DeliveryException ({@link ErrorCode#DELIVERY_RECORD_INVALID}) naming {@code origin} and the problem
     */
    public static DeliveryRecord parse(String json, String origin) throws DeliveryException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw invalid(origin, "is not valid JSON");
        }
        try {
            requireFields(root, "record", "version", "key", "bundle", "status", "tokenDirectory", "tokenFiles", "reader",
                    "variables", "mount", "created", "specSha256");
            if (!root.get("version").isInt() || root.get("version").intValue() != VERSION) {
                throw new IllegalArgumentException("has version " + root.get("version") + ", not " + VERSION);
            }
            JsonNode ids = root.get("reader");
            requireFields(ids, "reader", "uid", "gid");
            FileOwner reader = new FileOwner(id(ids.get("uid"), "reader.uid"), id(ids.get("gid"), "reader.gid"));
            List<SpecPatch.AddedVariable> variables = new ArrayList<>();
            for (JsonNode v : array(root.get("variables"), "variables")) {
                requireFields(v, "variables[]", "name", "sha256");
                variables.add(new SpecPatch.AddedVariable(text(v.get("name"), "variables[].name"), text(v.get("sha256"),
                        "variables[].sha256")));
            }
            JsonNode m = root.get("mount");
            requireFields(m, "mount", "destination", "source", "options");
            SpecPatch.TokenMount mount = new SpecPatch.TokenMount(text(m.get("destination"), "mount.destination"),
                    text(m.get("source"), "mount.source"), texts(m.get("options"), "mount.options"));
            Set<SpecPatch.CreatedField> created = EnumSet.noneOf(SpecPatch.CreatedField.class);
            for (String field : texts(root.get("created"), "created")) {
                created.add(createdField(field));
            }
            return new DeliveryRecord(text(root.get("key"), "key"), Path.of(text(root.get("bundle"), "bundle")),
                    status(text(root.get("status"), "status")), Path.of(text(root.get("tokenDirectory"), "tokenDirectory")),
                    texts(root.get("tokenFiles"), "tokenFiles"), reader, new SpecPatch(variables, mount, created),
                    text(root.get("specSha256"), "specSha256"));
        } catch (IllegalArgumentException e) {
            throw invalid(origin, e.getMessage());
        }
    }

    private static void requireFields(JsonNode node, String what, String... names) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(what + " is not a JSON object");
        }
        Set<String> expected = new LinkedHashSet<>(List.of(names));
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!expected.contains(name)) {
                throw new IllegalArgumentException(what + " has the unknown field '" + name + "'");
            }
        }
        for (String name : names) {
            if (!node.has(name)) {
                throw new IllegalArgumentException(what + " has no field '" + name + "'");
            }
        }
    }

    private static String text(JsonNode node, String field) {
        if (node == null || !node.isTextual()) {
            throw new IllegalArgumentException("field " + field + " is not a string");
        }
        return node.asText();
    }

    private static long id(JsonNode node, String field) {
        if (node == null || !node.canConvertToLong() || !node.isIntegralNumber()) {
            throw new IllegalArgumentException("field " + field + " is not an integer");
        }
        return node.longValue();
    }

    private static JsonNode array(JsonNode node, String field) {
        if (node == null || !node.isArray()) {
            throw new IllegalArgumentException("field " + field + " is not a JSON array");
        }
        return node;
    }

    private static List<String> texts(JsonNode node, String field) {
        List<String> out = new ArrayList<>();
        for (JsonNode item : array(node, field)) {
            out.add(text(item, field + "[]"));
        }
        return out;
    }

    private static Status status(String value) {
        for (Status s : Status.values()) {
            if (s.name().toLowerCase(Locale.ROOT).equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("field status is '" + value + "', not pending or delivered");
    }

    private static SpecPatch.CreatedField createdField(String value) {
        for (SpecPatch.CreatedField f : SpecPatch.CreatedField.values()) {
            if (f.path().equals(value)) {
                return f;
            }
        }
        throw new IllegalArgumentException("field created names '" + value + "', not process.env or mounts");
    }

    private static void requireAbsolute(Path path, String what) {
        if (path == null || !path.isAbsolute() || !path.normalize().equals(path)) {
            throw new IllegalArgumentException("field " + what + " is not an absolute, normalised path: " + path);
        }
    }

    private static DeliveryException invalid(String origin, String problem) {
        return new DeliveryException(ErrorCode.DELIVERY_RECORD_INVALID, "delivery record " + origin + " " + problem
                + "; ci-jwt does not trust it");
    }
}
