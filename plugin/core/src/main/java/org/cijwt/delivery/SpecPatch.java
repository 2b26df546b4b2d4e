package org.cijwt.delivery;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What one delivery added to a runtime spec, exactly enough to take that and nothing else back out: each
 * variable by name with the SHA-256 of its {@code NAME=value} entry (never the value, which may be a token),
 * the mount as written, and which of {@code process.env} and {@code mounts} the delivery had to create.
 *
 * <p>It lives in ci-jwt's own delivery record, never in {@code config.json}, because a container or a
 * pipeline can write {@code config.json} and must not be able to say what ci-jwt removes.
 */
public record SpecPatch(List<AddedVariable> variables, TokenMount mount, Set<CreatedField> created) {

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    public SpecPatch {
        variables = List.copyOf(variables);
        Objects.requireNonNull(mount, "mount");
        created = created.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(created));
    }

    /** One variable the delivery added, identified by its name and the digest of its whole entry. */
    public record AddedVariable(String name, String sha256) {

        public AddedVariable {
            if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid environment variable name \"" + name + "\"");
            }
            requireSha256(sha256, "digest of variable " + name);
        }

        /** The record of the entry {@code name=value}. */
        public static AddedVariable of(String name, String value) {
            return new AddedVariable(name, SpecPatch.sha256(name + "=" + value));
        }

        /** Whether {@code entry} is the exact {@code NAME=value} string this variable was added as. */
        public boolean matches(String entry) {
            return entry.startsWith(name + "=") && SpecPatch.sha256(entry).equals(sha256);
        }
    }

    /** The read-only bind mount of the token directory, field by field as it was written. */
    public record TokenMount(String destination, String source, List<String> options) {

        /** The mount type ci-jwt writes. */
        public static final String TYPE = "bind";

        public TokenMount {
            if (!DeliveryPlan.CONTAINER_TOKEN_DIR.equals(destination)) {
                throw new IllegalArgumentException("the token mount's destination must be " + DeliveryPlan.CONTAINER_TOKEN_DIR
                        + ", not " + destination);
            }
            if (source == null || !source.startsWith("/")) {
                throw new IllegalArgumentException("the token mount's source must be an absolute host path: " + source);
            }
            options = List.copyOf(options);
        }

        /** The mount of {@code tokenDirectory} at the reserved path with {@link DeliveryPlan#mountOptions() the plan's options}. */
        public static TokenMount of(DeliveryPlan plan) {
            return new TokenMount(DeliveryPlan.CONTAINER_TOKEN_DIR, plan.tokenDirectory().toString(), plan.mountOptions());
        }
    }

    /** A field of the spec that did not exist before the delivery added to it. */
    public enum CreatedField {
        PROCESS_ENV("process.env"),
        MOUNTS("mounts");

        private final String path;

        CreatedField(String path) {
            this.path = path;
        }

        /** The field's path in {@code config.json}, as error messages name it. */
        public String path() {
            return path;
        }
    }

    /** The lower-case hex SHA-256 of {@code text}'s UTF-8 bytes. */
    public static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The lower-case hex SHA-256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    static void requireSha256(String value, String what) {
        if (value == null || !SHA256_HEX.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " is not a SHA-256 in lower-case hex");
        }
    }

    @Override
    public String toString() {
        return "SpecPatch[variables=" + variables.stream().map(AddedVariable::name).toList() + ", mount=" + mount.source()
                + " at " + mount.destination() + ", created=" + created + "]";
    }
}
