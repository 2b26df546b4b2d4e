package org.cijwt.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cijwt.claims.ConfigClaims;
import org.cijwt.delivery.ContainerId;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.PrivateDirectories;
import org.cijwt.io.SecureFiles;

/**
 * The agent's own record of each container it serves, in its state directory (never read back
 * from a bundle): what it needs to resume refreshing after a restart. One 0600 file per
 * container, written atomically; the metadata is not secret, and no token is kept here.
 */
final class ContainerRecords {
    /** The API's reader: a record keeps a container's metadata exactly as the API received it. */
    private static final ObjectMapper JSON = AgentApi.JSON;

    /**
     * This boot of the machine, as the kernel names it ({@code /proc/sys/kernel/random/boot_id}); null
     * where it cannot be read.
     */
    static final String BOOT_ID = readBootId();

    /**
     * What the agent keeps per container. {@code bootId} is the boot of the machine the container was
     * created in (null when unknown: a record written before it was kept), since no container
     * outlives a reboot while its process ids are handed out again from the start.
     */
    record Entry(String id, Path bundle, String profile, JsonNode metadata, Path tokenDirectory, ConfigClaims config, String bootId) {
        Entry withConfig(ConfigClaims outcome) {
            return new Entry(id, bundle, profile, metadata, tokenDirectory, outcome, bootId);
        }

        /** Whether the container was created before this machine last booted, and so is certainly gone. */
        boolean fromAnEarlierBoot() {
            return bootId != null && BOOT_ID != null && !bootId.equals(BOOT_ID);
        }
    }

    private static String readBootId() {
        try {
            String id = Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).trim();
            return id.isEmpty() ? null : id;
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    private final Path dir;

    private ContainerRecords(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating, owner-only) {@code dir}; refuses one that others could write into. */
    static ContainerRecords open(Path dir) throws CiJwtException {
        try {
            PrivateDirectories.ensure(dir);
            if (PrivateDirectories.isWritableByOthers(dir)) {
                throw new CiJwtException(ErrorCode.DELIVERY_RECORD_INVALID, "agent state " + dir
                        + " is writable by group or others; chmod 700 it");
            }
            Optional<String> ancestor = PrivateDirectories.ancestorWritableByOthers(dir);
            if (ancestor.isPresent()) {
                throw new CiJwtException(ErrorCode.DELIVERY_RECORD_INVALID, "agent state " + dir + " lies under " + ancestor.get()
                        + ", which others can write; choose a state directory under a root-owned path");
            }
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "agent state " + dir + " cannot be created: " + SecureFiles.reason(e));
        }
        return new ContainerRecords(dir);
    }

    void put(Entry e) throws CiJwtException {
        ObjectNode o = JSON.createObjectNode().put("version", 1).put("id", e.id()).put("bundle", e.bundle().toString())
                .put("profile", e.profile()).put("token_directory", e.tokenDirectory().toString());
        o.set("metadata", e.metadata());
        if (e.bootId() != null) {
            o.put("boot_id", e.bootId());
        }
        if (e.config() != null) {
            ObjectNode c = o.putObject("config");
            e.config().digest().ifPresent(d -> c.put("digest", d));
            c.put("verification", e.config().verification());
            e.config().signer().ifPresent(s -> c.put("signer", s));
        }
        // Not forced to disk: the synced pending delivery record is the create's one durable write;
        // a container record lost to a power cut leaves a delivery record that recovery undoes.
        SecureFiles.writeAtomically(file(e.id()), o.toString().getBytes(StandardCharsets.UTF_8), SecureFiles.PRIVATE,
                SecureFiles.Durability.ATOMIC);
    }

    void remove(String id) throws CiJwtException {
        try {
            Files.deleteIfExists(file(id));
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "agent record of " + id + " cannot be removed: " + SecureFiles.reason(e));
        }
    }

    List<Entry> all() throws CiJwtException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                entries.add(read(f));
            }
        } catch (NoSuchFileException e) {
            return entries;
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.IO_FAILED, "agent state " + dir + " cannot be listed: " + SecureFiles.reason(e));
        }
        return entries;
    }

    private Entry read(Path f) throws CiJwtException {
        try {
            JsonNode o = JSON.readTree(Files.readString(f, StandardCharsets.UTF_8));
            if (o.path("version").asInt() != 1 || !ContainerId.isValid(o.path("id").asText())
                    || !(o.get("id").asText() + ".json").equals(f.getFileName().toString())) {
                throw new CiJwtException(ErrorCode.DELIVERY_RECORD_INVALID, "agent record " + f + " is not one this agent wrote");
            }
            JsonNode c = o.path("config");
            ConfigClaims config = c.isObject() ? new ConfigClaims(optional(c, "digest"), c.path("verification").asText(),
                    optional(c, "signer")) : null;
            return new Entry(o.get("id").asText(), Path.of(o.path("bundle").asText()), o.path("profile").asText(),
                    o.path("metadata"), Path.of(o.path("token_directory").asText()), config, optional(o, "boot_id").orElse(null));
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.DELIVERY_RECORD_INVALID, "agent record " + f + " cannot be read");
        }
    }

    private static Optional<String> optional(JsonNode o, String field) {
        return o.path(field).isTextual() ? Optional.of(o.get(field).asText()) : Optional.empty();
    }

    private Path file(String id) {
        return dir.resolve(id + ".json");
    }
}
