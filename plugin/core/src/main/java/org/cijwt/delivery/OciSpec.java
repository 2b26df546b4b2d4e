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
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;
import org.cijwt.io.FileOwner;
import org.cijwt.io.SecureFiles;

/**
 * An OCI runtime spec ({@code config.json}) as an immutable JSON tree, to which a {@link DeliveryPlan}
 * can be applied and from which exactly that delivery can be reverted again.
 *
 * <p>Every field the plan does not touch is kept as it was, including fields this class does not know.
 * What was added is returned as a {@link SpecPatch} for the caller to keep in its own record; nothing in
 * the spec itself says what to remove, because whoever can write the spec must not be able to choose that.
 */
public final class OciSpec {

    /** File name of the runtime spec inside a bundle. */
    public static final String CONFIG_FILE = "config.json";

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

    /**
     * The result of applying a plan: the new spec, the warnings for the task's own variables that won, and
     * the patch that {@link #revert(SpecPatch)} takes back out.
     */
    public record Applied(OciSpec spec, List<DeliveryWarning> warnings, SpecPatch patch) {

        public Applied {
            Objects.requireNonNull(spec, "spec");
            warnings = List.copyOf(warnings);
            Objects.requireNonNull(patch, "patch");
        }
    }

    /**
     * The result of reverting a patch: the new spec, what was removed, and what the patch lists but the spec
     * no longer holds as it was written (changed or removed since), which stays as it is.
     */
    public record Reverted(OciSpec spec, List<String> removed, List<String> notFound) {

        public Reverted {
            Objects.requireNonNull(spec, "spec");
            removed = List.copyOf(removed);
            notFound = List.copyOf(notFound);
        }

        /** Whether anything was removed. */
        public boolean changed() {
            return !removed.isEmpty();
        }
    }

    /** Reads a runtime spec file. */
    public static OciSpec read(Path configJson) throws DeliveryException {
        String text;
        try {
            text = Files.readString(configJson, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw invalid(configJson + " does not exist");
        } catch (IOException e) {
            throw new DeliveryException(ErrorCode.BUNDLE_INVALID, "cannot read " + configJson + ": " + SecureFiles.reason(e), e);
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
            throw invalid(name + " is not valid JSON" + where);
        }
        if (node == null || !node.isObject()) {
            throw invalid(name + " is not a JSON object");
        }
        checkFieldNames(node, "", name);
        return new OciSpec((ObjectNode) node);
    }

    /**
     * Objects of the spec whose keys are data (Go maps), which runc compares exactly as we do;
     * every other object is a Go struct, whose field names runc's decoder matches case-insensitively.
     */
    private static final Set<String> MAP_POSITIONS = Set.of("annotations", "linux.sysctl", "linux.resources.unified",
            "linux.resources.rdma", "linux.timeOffsets", "linux.netDevices");

    /** Field names of the runtime spec (those ci-jwt reads or patches among them), as the spec spells them. */
    private static final Set<String> SPEC_FIELD_SPELLINGS = Set.of("ociVersion", "process", "terminal", "consoleSize", "height",
            "width", "user", "uid", "gid", "umask", "additionalGids", "username", "args", "commandLine", "env", "cwd",
            "capabilities", "bounding", "effective", "inheritable", "permitted", "ambient", "rlimits", "type", "hard", "soft",
            "noNewPrivileges", "apparmorProfile", "oomScoreAdj", "selinuxLabel", "ioPriority", "scheduler", "execCPUAffinity",
            "root", "path", "readonly", "hostname", "domainname", "mounts", "destination", "source", "options", "uidMappings",
            "gidMappings", "containerID", "hostID", "size", "hooks", "prestart", "createRuntime", "createContainer",
            "startContainer", "poststart", "poststop", "timeout", "annotations", "linux", "namespaces", "devices",
            "cgroupsPath", "resources", "sysctl", "seccomp", "rootfsPropagation", "maskedPaths", "readonlyPaths",
            "mountLabel", "intelRdt", "personality", "timeOffsets");
    /** The same, folded. */
    private static final Set<String> SPEC_FIELDS = SPEC_FIELD_SPELLINGS.stream().map(OciSpec::fold)
            .collect(Collectors.toUnmodifiableSet());

    /**
     * Refuses a spec that runc would read differently from an exact lookup (ours): two keys of one
     * object that differ only in case, where runc takes one for both ({@code "Args"} beside
     * {@code "args"}), and a spec field spelled otherwise ({@code "Process"}, {@code "argſ"}), which
     * runc reads and we would not.
     */
    private static void checkFieldNames(JsonNode node, String path, String name) throws DeliveryException {
        if (node.isArray()) {
            for (JsonNode element : node) {
                checkFieldNames(element, path + "[]", name);
            }
            return;
        }
        if (!node.isObject() || MAP_POSITIONS.contains(path)) {
            return;
        }
        Map<String, String> seen = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            String folded = fold(key);
            String where = path.isEmpty() ? "the top level" : path;
            String other = seen.putIfAbsent(folded, key);
            if (other != null) {
                throw invalid(name + ": keys " + Printable.quoted(other) + " and " + Printable.quoted(key) + " at " + where
                        + " differ only in case, and runc reads field names case-insensitively: which one it takes is not what"
                        + " ci-jwt checks; refused");
            }
            if (SPEC_FIELDS.contains(folded) && !SPEC_FIELD_SPELLINGS.contains(key)) {
                throw invalid(name + ": key " + Printable.quoted(key) + " at " + where + " is a runtime-spec field spelled"
                        + " otherwise, which runc reads case-insensitively and ci-jwt does not; refused");
            }
            checkFieldNames(field.getValue(), path.isEmpty() ? key : path + "." + key, name);
        }
    }

    /** Go's case folding, near enough: upper then lower case folds ſ to s and the Kelvin sign to k, as Go does. */
    private static String fold(String key) {
        return key.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
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

    /** The lower-case hex SHA-256 of the bytes {@link #write} writes for this spec. */
    public String sha256() {
        return SpecPatch.sha256(bytes());
    }

    /**
     * The host user and group the task runs as: {@code process.user}, mapped through the user namespace's
     * {@code linux.uidMappings}/{@code gidMappings} when it has one.
     *
     * @throws DeliveryException ({@link ErrorCode#BUNDLE_INVALID}) when an id is not a valid id or not mapped
     */
    public FileOwner taskUser() throws DeliveryException {
        return TaskUser.hostIds(root);
    }

    /**
     * What the container will run, as its spec says (untrusted: whoever wrote config.json chose it):
     * arguments, working directory, user (uid, and name when given) and environment.
     */
    public org.cijwt.signedconfig.ExecutionCheck.Process process() {
        JsonNode p = root.path("process");
        java.util.List<String> args = new java.util.ArrayList<>();
        p.path("args").forEach(a -> args.add(a.isTextual() ? a.asText() : a.toString()));
        java.util.Set<String> user = new java.util.HashSet<>();
        if (p.path("user").path("uid").canConvertToLong()) {
            user.add(Long.toString(p.path("user").path("uid").asLong()));
        }
        if (p.path("user").path("username").isTextual()) {
            user.add(p.path("user").path("username").asText());
        }
        java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
        p.path("env").forEach(e -> {
            String entry = e.asText();
            int eq = entry.indexOf('=');
            env.put(eq < 0 ? entry : entry.substring(0, eq), eq < 0 ? "" : entry.substring(eq + 1));
        });
        return new org.cijwt.signedconfig.ExecutionCheck.Process(args, p.path("cwd").asText(""), user, env, privileged());
    }

    /**
     * Whether the container runs privileged as Concourse means it: in no user namespace of its own
     * (so its root is the host's) and with CAP_SYS_ADMIN in its bounding set.
     */
    boolean privileged() {
        for (JsonNode ns : root.path("linux").path("namespaces")) {
            if ("user".equals(ns.path("type").asText())) {
                return false;
            }
        }
        for (JsonNode cap : root.path("process").path("capabilities").path("bounding")) {
            if ("CAP_SYS_ADMIN".equals(cap.asText())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns a spec with the plan's variables and read-only token mount added.
     *
     * <p>A variable the task already sets keeps the task's value, and a warning names it. To deliver again,
     * revert the earlier delivery's patch first: its mount is at the reserved path, so it is a conflict too.
     *
     * @throws DeliveryException ({@link ErrorCode#MOUNT_CONFLICT}) when the spec already mounts something at
     *     or under {@link DeliveryPlan#CONTAINER_TOKEN_DIR}, or ({@link ErrorCode#BUNDLE_INVALID}) when its shape
     *     is not an OCI runtime spec
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
        ObjectNode next = root.deepCopy();
        Set<SpecPatch.CreatedField> created = EnumSet.noneOf(SpecPatch.CreatedField.class);

        ArrayNode mounts = arrayField(next, "mounts", SpecPatch.CreatedField.MOUNTS, created);
        refuseConflictingMounts(mounts, plan, rootFileSystem(next, bundle));

        List<DeliveryWarning> warnings = new ArrayList<>();
        List<SpecPatch.AddedVariable> added = new ArrayList<>();
        if (!plan.environment().isEmpty()) {
            JsonNode process = next.get("process");
            if (process == null || !process.isObject()) {
                throw invalid(CONFIG_FILE + " has no process object to add environment variables to");
            }
            ArrayNode env = arrayField((ObjectNode) process, "env", SpecPatch.CreatedField.PROCESS_ENV, created);
            Set<String> existing = variableNames(env);
            for (Map.Entry<String, String> variable : plan.environment().entrySet()) {
                if (existing.contains(variable.getKey())) {
                    warnings.add(DeliveryWarning.taskVariableWins(variable.getKey()));
                } else {
                    env.add(variable.getKey() + "=" + variable.getValue());
                    added.add(SpecPatch.AddedVariable.of(variable.getKey(), variable.getValue()));
                }
            }
        }

        SpecPatch.TokenMount tokenMount = SpecPatch.TokenMount.of(plan);
        mounts.add(mountNode(tokenMount));
        return new Applied(new OciSpec(next), warnings, new SpecPatch(added, tokenMount, created));
    }

    /**
     * Returns a spec without what {@code patch} added, entry by entry: a variable only where its whole
     * {@code NAME=value} entry still has the recorded digest, the mount only where it is still exactly as
     * written, and {@code process.env} or {@code mounts} only when the patch created it and it is empty again.
     * Anything else, including an entry that was changed since, stays as it is and is named in
     * {@link Reverted#notFound()}.
     */
    public Reverted revert(SpecPatch patch) {
        Objects.requireNonNull(patch, "patch");
        ObjectNode next = root.deepCopy();
        List<String> removed = new ArrayList<>();
        List<String> notFound = new ArrayList<>();

        JsonNode process = next.get("process");
        ArrayNode env = process != null && process.isObject() && process.get("env") instanceof ArrayNode a ? a : null;
        for (SpecPatch.AddedVariable variable : patch.variables()) {
            boolean found = env != null && removeIf(env, e -> e.isTextual() && variable.matches(e.asText()));
            (found ? removed : notFound).add("variable " + variable.name());
        }
        if (env != null && env.isEmpty() && patch.created().contains(SpecPatch.CreatedField.PROCESS_ENV)) {
            ((ObjectNode) process).remove("env");
        }

        ObjectNode ours = mountNode(patch.mount());
        ArrayNode mounts = next.get("mounts") instanceof ArrayNode m ? m : null;
        boolean mountFound = mounts != null && removeIf(mounts, ours::equals);
        (mountFound ? removed : notFound).add("mount of " + patch.mount().source() + " at " + patch.mount().destination());
        if (mounts != null && mounts.isEmpty() && patch.created().contains(SpecPatch.CreatedField.MOUNTS)) {
            next.remove("mounts");
        }
        return new Reverted(removed.isEmpty() ? this : new OciSpec(next), removed, notFound);
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

    /**
     * Writes the spec to {@code configJson} atomically with the given permissions, not forced to
     * disk: the delivery record that says what was patched is (see {@link TokenDelivery}).
     */
    public void write(Path configJson, Set<PosixFilePermission> permissions) throws DeliveryException {
        try {
            SecureFiles.replace(configJson, bytes(), permissions, null, SecureFiles.Durability.ATOMIC);
        } catch (IOException e) {
            throw new DeliveryException("cannot write " + configJson + ": " + SecureFiles.reason(e), e);
        }
    }

    /**
     * Applies the plan to {@code bundle/config.json} in place, atomically, and returns what was applied.
     *
     * <p>The file is left 0600 (owner only): once the plan adds {@code CONCOURSE_CI_JWT} it holds a token.
     */
    public static Applied applyToBundle(Path bundle, DeliveryPlan plan) throws DeliveryException {
        Path config = bundle.resolve(CONFIG_FILE);
        Applied applied = read(config).apply(plan, bundle);
        applied.spec().write(config, SecureFiles.PRIVATE);
        return applied;
    }

    /**
     * Reverts {@code patch} in {@code bundle/config.json} in place, atomically.
     *
     * @return whether there was anything to revert
     */
    public static boolean revertBundle(Path bundle, SpecPatch patch) throws DeliveryException {
        Path config = bundle.resolve(CONFIG_FILE);
        Reverted reverted = read(config).revert(patch);
        if (reverted.changed()) {
            reverted.spec().write(config);
        }
        return reverted.changed();
    }

    /** Whether the spec mounts anything exactly at the reserved token path (as written, normalised). */
    public boolean mountsTheTokenPath() {
        if (!(root.get("mounts") instanceof ArrayNode mounts)) {
            return false;
        }
        for (JsonNode mount : mounts) {
            JsonNode destination = mount.get("destination");
            if (destination != null && destination.isTextual()
                    && normalize(destination.asText()).equals(DeliveryPlan.CONTAINER_TOKEN_DIR)) {
                return true;
            }
        }
        return false;
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
                throw invalid(CONFIG_FILE + " mount #" + (i + 1) + " has no destination");
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
                throw new DeliveryException(ErrorCode.MOUNT_CONFLICT, CONFIG_FILE + " mounts " + what + " at " + destinationNode.asText() + via
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

    private static ArrayNode arrayField(ObjectNode parent, String field, SpecPatch.CreatedField label,
                                        Set<SpecPatch.CreatedField> created) throws DeliveryException {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            created.add(label);
            return parent.putArray(field);
        }
        if (!node.isArray()) {
            throw invalid(CONFIG_FILE + " field " + label.path() + " is not a JSON array");
        }
        return (ArrayNode) node;
    }

    private static ObjectNode mountNode(SpecPatch.TokenMount mount) {
        ObjectNode node = JSON.createObjectNode();
        node.put("destination", mount.destination());
        node.put("type", SpecPatch.TokenMount.TYPE);
        node.put("source", mount.source());
        ArrayNode options = node.putArray("options");
        mount.options().forEach(options::add);
        return node;
    }

    private byte[] bytes() {
        return (toJson() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static DeliveryException invalid(String message) {
        return new DeliveryException(ErrorCode.BUNDLE_INVALID, message);
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

    /** Removes every element that matches; returns whether any did. */
    private static boolean removeIf(ArrayNode array, Predicate<JsonNode> condition) {
        boolean any = false;
        for (int i = array.size() - 1; i >= 0; i--) {
            if (condition.test(array.get(i))) {
                array.remove(i);
                any = true;
            }
        }
        return any;
    }
}
