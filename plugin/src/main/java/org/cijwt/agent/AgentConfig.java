package org.cijwt.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cijwt.delivery.PreflightConfig;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.signedconfig.ConfigVerifier;

/**
 * The operator's agent configuration: named token profiles (each what a pre-flight config file
 * holds: tokens, audiences, lifetimes, algorithms, {@code aws: true}) and the default one. A
 * container may pick a profile by name, never define one.
 *
 * <pre>
 * issuer: https://ci.example.com
 * default_profile: default
 * profiles:
 *   default: {tokens: [{name: jwt, audiences: [vault]}]}
 *   aws:     {tokens: [{name: jwt, audiences: [sts.amazonaws.com], aws: true}]}
 * verification_failure_behavior_by_team: {sandbox: warn}   # the operator's overrides of --verification-failure-behavior
 * </pre>
 */
public record AgentConfig(String defaultProfile, Map<String, PreflightConfig> profiles,
                          Map<String, ConfigVerifier.Behavior> verificationByTeam) {
    public static final String DEFAULT_PROFILE = "default";
    private static final String BY_TEAM = "verification_failure_behavior_by_team";
    private static final Set<String> KEYS = Set.of("issuer", "default_profile", "profiles", BY_TEAM);
    private static final YAMLMapper YAML = YAMLMapper.builder().enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY).build();

    public AgentConfig {
        profiles = Map.copyOf(profiles);
        verificationByTeam = Map.copyOf(verificationByTeam);
        if (!profiles.containsKey(defaultProfile)) {
            throw new IllegalArgumentException("default profile " + defaultProfile + " is not defined");
        }
    }

    /** One profile, {@value #DEFAULT_PROFILE}: the pre-flight defaults for {@code issuer}. */
    public static AgentConfig defaults(String issuer) throws CiJwtException {
        return new AgentConfig(DEFAULT_PROFILE, Map.of(DEFAULT_PROFILE, PreflightConfig.defaults(issuer)), Map.of());
    }

    /** The profile a container asked for, or the default one when it named none. */
    public PreflightConfig profile(Optional<String> name) throws CiJwtException {
        String n = name.orElse(defaultProfile);
        PreflightConfig p = profiles.get(n);
        if (p == null) {
            throw new CiJwtException(ErrorCode.PROFILE_UNKNOWN, "profile '" + printable(n) + "' is not defined by the operator (defined: "
                    + String.join(", ", new java.util.TreeSet<>(profiles.keySet())) + ")");
        }
        return p;
    }

    public String profileName(Optional<String> name) {
        return name.orElse(defaultProfile);
    }

    /** Reads the agent's YAML or JSON config; {@code issuer} (the flag) wins over the file's when given. */
    public static AgentConfig read(Path file, String issuerFlag) throws CiJwtException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, "agent config " + file + " does not exist");
        } catch (IOException e) {
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, "agent config " + file + " cannot be read");
        }
        return parse(text, "agent config " + file, issuerFlag);
    }

    static AgentConfig parse(String text, String origin, String issuerFlag) throws CiJwtException {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            String line = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, origin + ": not valid YAML or JSON" + line);
        }
        if (root == null || !root.isObject()) {
            throw new CiJwtException(ErrorCode.CONFIG_UNREADABLE, origin + ": must be a mapping of issuer, default_profile, profiles");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new CiJwtException(ErrorCode.CONFIG_UNKNOWN_KEY, origin + ": unknown key '" + printable(key)
                        + "' (known: default_profile, issuer, profiles, " + BY_TEAM + ")");
            }
        }
        String issuer = issuerFlag != null ? issuerFlag : textOrNull(root, "issuer", origin);
        JsonNode profilesNode = root.path("profiles");
        if (!profilesNode.isObject() || profilesNode.isEmpty()) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, origin + ": profiles must map at least one profile name to its tokens");
        }
        Map<String, PreflightConfig> profiles = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = profilesNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().matches("[a-z0-9][a-z0-9_-]{0,62}")) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, origin + ": profile name '" + printable(e.getKey())
                        + "' must be lower-case letters, digits, '_' or '-'");
            }
            PreflightConfig p = PreflightConfig.parse(e.getValue().toString(), origin + " profiles." + e.getKey());
            profiles.put(e.getKey(), issuer == null ? p : p.withIssuer(issuer));
        }
        String def = root.has("default_profile") ? textOrNull(root, "default_profile", origin)
                : profiles.containsKey(DEFAULT_PROFILE) ? DEFAULT_PROFILE : profiles.keySet().iterator().next();
        if (!profiles.containsKey(def)) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, origin + ": default_profile '" + printable(def) + "' is not one of the profiles");
        }
        Map<String, ConfigVerifier.Behavior> byTeam = new LinkedHashMap<>();
        JsonNode teams = root.path(BY_TEAM);
        if (!teams.isMissingNode()) {
            if (!teams.isObject()) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, origin + ": " + BY_TEAM + " must map team names to block or warn");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = teams.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                byTeam.put(e.getKey(), ConfigVerifier.Behavior.parse(e.getValue().asText(), origin + ": " + BY_TEAM + "." + printable(e.getKey())));
            }
        }
        return new AgentConfig(def, profiles, byTeam);
    }

    private static String textOrNull(JsonNode root, String key, String origin) throws CiJwtException {
        JsonNode v = root.get(key);
        if (v == null) {
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, origin + ": " + key + " must be a non-empty string");
        }
        return v.asText();
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(64).forEach(c -> b.append(c >= 0x20 && c < 0x7f ? Character.toString(c) : "?"));
        return b.toString();
    }
}
