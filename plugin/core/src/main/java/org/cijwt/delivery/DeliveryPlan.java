package org.cijwt.delivery;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What pre-flight adds to a container: environment variables and the read-only bind mount of a
 * host token directory at {@link #CONTAINER_TOKEN_DIR}.
 *
 * <p>Values may contain a token, so {@link #toString()} shows variable names only.
 *
 * @param runsClient whether the mount lets the task run the token client the agent links into the
 *     directory (a profile with {@code on_request}): {@link #CLIENT_MOUNT_OPTIONS}, else {@link #MOUNT_OPTIONS}
 */
public record DeliveryPlan(Path tokenDirectory, Map<String, String> environment, boolean runsClient) {

    /** The reserved path inside every container where the token directory is mounted. */
    public static final String CONTAINER_TOKEN_DIR = "/var/run/secrets/concourse-ci";

    /** Mount options: read-only, and nothing in the directory can be a device, setuid or executable. */
    public static final List<String> MOUNT_OPTIONS = List.of("rbind", "ro", "nosuid", "nodev", "noexec");

    /**
     * Mount options where the task may run the token client beside its token socket: read-only, no
     * device, no setuid, but not {@code noexec}. Nothing in the directory is the task's to write: the
     * token files are mode 0440 without an execute bit, and the client is root's, mode 0555.
     */
    public static final List<String> CLIENT_MOUNT_OPTIONS = List.of("rbind", "ro", "nosuid", "nodev");

    /** Variable holding the default token itself. */
    public static final String TOKEN_VARIABLE = "CONCOURSE_CI_JWT";

    /** Variable holding the container path of the default token file. */
    public static final String TOKEN_FILE_VARIABLE = "CONCOURSE_CI_JWT_FILE";

    /**
     * Validates and copies the plan.
     *
     * @param tokenDirectory absolute host directory to mount
     * @param environment variables to add, in order; names must be non-empty without {@code =} or NUL
     */
    /** A plan whose mount is {@code noexec}. */
    public DeliveryPlan(Path tokenDirectory, Map<String, String> environment) {
        this(tokenDirectory, environment, false);
    }

    public DeliveryPlan {
        Objects.requireNonNull(tokenDirectory, "tokenDirectory");
        Objects.requireNonNull(environment, "environment");
        if (!tokenDirectory.isAbsolute()) {
            throw new IllegalArgumentException("token directory must be an absolute host path: " + tokenDirectory);
        }
        Map<String, String> copy = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : environment.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid environment variable name \"" + name
                        + "\": it must be non-empty and contain no '=' or NUL");
            }
            String value = Objects.requireNonNull(e.getValue(), () -> "value of " + name);
            if (value.indexOf('\0') >= 0) {
                // Name only: the value may be a token.
                throw new IllegalArgumentException("value of environment variable " + name + " contains NUL");
            }
            copy.put(name, value);
        }
        environment = Collections.unmodifiableMap(copy);
    }

    /** A plan that mounts {@code tokenDirectory} and adds no variables. */
    public static DeliveryPlan mountOnly(Path tokenDirectory) {
        return new DeliveryPlan(tokenDirectory, Map.of());
    }

    /** This plan with one more variable (replacing an earlier one of the same name). */
    public DeliveryPlan withVariable(String name, String value) {
        Map<String, String> next = new LinkedHashMap<>(environment);
        next.put(name, value);
        return new DeliveryPlan(tokenDirectory, next, runsClient);
    }

    /** This plan, its mount letting the task run the token client or not. */
    public DeliveryPlan withClient(boolean value) {
        return new DeliveryPlan(tokenDirectory, environment, value);
    }

    /** The token mount's options. */
    public List<String> mountOptions() {
        return runsClient ? CLIENT_MOUNT_OPTIONS : MOUNT_OPTIONS;
    }

    /** The container path of a token file of the given name. */
    public static String containerPathOf(String tokenName) {
        TokenDirectory.requireValidName(tokenName);
        return CONTAINER_TOKEN_DIR + "/" + tokenName;
    }

    @Override
    public String toString() {
        return "DeliveryPlan[tokenDirectory=" + tokenDirectory + ", environment=" + environment.keySet() + ", runsClient="
                + runsClient + "]";
    }
}
