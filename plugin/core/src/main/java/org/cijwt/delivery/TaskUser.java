package org.cijwt.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.FileOwner;

/**
 * The host user and group a container's process runs as: {@code process.user.uid/gid} of its runtime spec,
 * mapped through {@code linux.uidMappings}/{@code gidMappings} when the container has its own user namespace.
 *
 * <p>The spec is untrusted input, so every number is checked the way the runtime reads it (an integer
 * from 0 to 4294967294; no fraction, no exponent, no string) and an id the mappings do not cover is refused
 * rather than guessed: token files given to the wrong host user would be readable by that user.
 */
final class TaskUser {

    /** {@code (uid_t) -1} means "no id" to the kernel, so the largest real id is one less. */
    private static final long MAX_KERNEL_ID = 4294967294L;
    private static final long ID_SPACE = 4294967296L;

    private TaskUser() {
    }

    /** The host ids of the task's user in {@code spec} (a runtime spec's root object). */
    static FileOwner hostIds(JsonNode spec) throws DeliveryException {
        JsonNode process = spec.path("process");
        if (!process.isObject()) {
            throw invalid("has no process object, so it does not say which user the task runs as");
        }
        JsonNode user = process.get("user");
        long uid = 0;
        long gid = 0;
        // runc, like the OCI spec's Go types, takes a missing user or id as 0 (root).
        if (user != null && !user.isNull()) {
            if (!user.isObject()) {
                throw invalid("field process.user is not a JSON object");
            }
            uid = id(user.get("uid"), "process.user.uid");
            gid = id(user.get("gid"), "process.user.gid");
        }
        JsonNode linux = spec.path("linux");
        boolean ownUserNamespace = userNamespace(linux);
        long hostUid = map(uid, linux.get("uidMappings"), "process.user.uid", "linux.uidMappings", ownUserNamespace);
        long hostGid = map(gid, linux.get("gidMappings"), "process.user.gid", "linux.gidMappings", ownUserNamespace);
        if (hostUid > FileOwner.MAX_ID || hostGid > FileOwner.MAX_ID) {
            throw invalid("runs the task (process.user) as host user " + hostUid + ":" + hostGid + ", above " + FileOwner.MAX_ID
                    + ", which ci-jwt cannot give files to");
        }
        return new FileOwner(hostUid, hostGid);
    }

    private static boolean userNamespace(JsonNode linux) throws DeliveryException {
        JsonNode namespaces = linux.get("namespaces");
        if (namespaces == null || namespaces.isNull()) {
            return false;
        }
        if (!namespaces.isArray()) {
            throw invalid("field linux.namespaces is not a JSON array");
        }
        for (JsonNode ns : namespaces) {
            if ("user".equals(ns.path("type").asText(null))) {
                if (ns.hasNonNull("path")) {
                    // The mapping of a namespace joined by path is not in the spec; guessing it could give
                    // the tokens to the wrong host user.
                    throw invalid("joins an existing user namespace (linux.namespaces path), so ci-jwt cannot tell"
                            + " which host user the task runs as");
                }
                return true;
            }
        }
        return false;
    }

    private static long map(long id, JsonNode mappings, String idField, String mappingField, boolean ownUserNamespace)
            throws DeliveryException {
        boolean hasMappings = mappings != null && !mappings.isNull() && !(mappings.isArray() && mappings.isEmpty());
        if (!ownUserNamespace) {
            if (hasMappings) {
                // runc refuses this too; reading the ids unmapped could give the tokens to the wrong host user.
                throw invalid("sets " + mappingField + " but linux.namespaces has no user namespace");
            }
            return id;
        }
        if (!hasMappings) {
            throw invalid("has a user namespace but no " + mappingField);
        }
        if (!mappings.isArray()) {
            throw invalid("field " + mappingField + " is not a JSON array");
        }
        for (int i = 0; i < mappings.size(); i++) {
            JsonNode m = mappings.get(i);
            String at = mappingField + "[" + i + "]";
            if (!m.isObject()) {
                throw invalid("field " + at + " is not a JSON object");
            }
            long container = number(m.get("containerID"), at + ".containerID", ID_SPACE - 1);
            long host = number(m.get("hostID"), at + ".hostID", ID_SPACE - 1);
            long size = number(m.get("size"), at + ".size", ID_SPACE);
            if (size == 0 || container + size > ID_SPACE || host + size > ID_SPACE) {
                throw invalid("field " + at + " is not a valid id range");
            }
            if (id >= container && id < container + size) {
                long mapped = host + (id - container);
                if (mapped > MAX_KERNEL_ID) {
                    throw invalid("maps " + idField + " " + id + " to no host id");
                }
                return mapped;
            }
        }
        throw invalid("runs the task as " + idField + " " + id + ", which " + mappingField + " does not map to a host id");
    }

    private static long id(JsonNode node, String field) throws DeliveryException {
        return node == null || node.isNull() ? 0 : number(node, field, MAX_KERNEL_ID);
    }

    private static long number(JsonNode node, String field, long max) throws DeliveryException {
        if (node == null || !node.isIntegralNumber()) {
            throw invalid("field " + field + " is not an integer");
        }
        BigInteger value = node.bigIntegerValue();
        if (value.signum() < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
            throw invalid("field " + field + " is " + value + ", outside 0 to " + max);
        }
        return value.longValueExact();
    }

    private static DeliveryException invalid(String problem) {
        return new DeliveryException(ErrorCode.BUNDLE_INVALID, OciSpec.CONFIG_FILE + " " + problem);
    }
}
