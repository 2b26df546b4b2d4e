package org.cijwt.agent;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.cijwt.concourse.ConcourseSettings;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.config.ConfigBinder;
import org.cijwt.config.Durations;
import org.cijwt.config.SettingException;
import org.cijwt.delivery.TokenProfile;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.signedconfig.ConfigVerifier;

/**
 * The operator's agent configuration: named token profiles (each what a pre-flight config file
 * holds: tokens, audiences, lifetimes, algorithms, {@code aws: true}) and the default one. A
 * container may pick a profile by name, never define one.
 *
 * <pre>
 * issuer: https://ci.example.com   # every profile's issuer; the --issuer flag wins over it
 * default_profile: default         # default: the profile named default, else the first
 * profiles:
 *   default: {tokens: [{name: jwt, audiences: [vault]}]}
 *   aws:     {tokens: [{name: jwt, audiences: [sts.amazonaws.com], aws: true}]}
 * verification_failure_behavior_by_team: {sandbox: warn}   # the operator's overrides of --verification-failure-behavior
 * </pre>
 *
 * <p>Bound by {@link ConfigBinder} like every configuration file: unknown keys are refused
 * ({@code CJ402}), values are never coerced, and each profile is bound as a pre-flight config file
 * is, so an error names its path ({@code profiles.aws.tokens[0].ttl}).
 */
public record AgentConfig(String defaultProfile, Map<String, TokenProfile> profiles,
                          Map<String, ConfigVerifier.Behavior> verificationByTeam, IdentityConfig identity) {
    public static final String DEFAULT_PROFILE = "default";
    private static final String BY_TEAM = "verification_failure_behavior_by_team";
    /** A profile name is what a container writes in its request: short, plain, and safe to show in a message. */
    private static final Pattern PROFILE_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    /** Profiles with the default identity source, {@code annotation}. */
    public AgentConfig(String defaultProfile, Map<String, TokenProfile> profiles, Map<String, ConfigVerifier.Behavior> verificationByTeam) {
        this(defaultProfile, profiles, verificationByTeam, IdentityConfig.ANNOTATION);
    }

    public AgentConfig {
        Objects.requireNonNull(identity, "identity");
        profiles = Map.copyOf(profiles);
        verificationByTeam = Map.copyOf(verificationByTeam);
        if (!profiles.containsKey(defaultProfile)) {
            throw new IllegalArgumentException("default profile " + defaultProfile + " is not defined");
        }
    }

    /** One profile, {@value #DEFAULT_PROFILE}: the pre-flight defaults for {@code issuer}. */
    public static AgentConfig defaults(String issuer) throws CiJwtException {
        return new AgentConfig(DEFAULT_PROFILE, Map.of(DEFAULT_PROFILE, TokenProfile.defaults(issuer)), Map.of());
    }

    /** Every algorithm some profile signs with: the key source makes only these. */
    public Set<SigningAlgorithm> algorithms() {
        Set<SigningAlgorithm> all = EnumSet.noneOf(SigningAlgorithm.class);
        profiles.values().forEach(p -> all.addAll(p.algorithms()));
        return all;
    }

    /** The profile a container asked for, or the default one when it named none. */
    public TokenProfile profile(Optional<String> name) throws CiJwtException {
        String n = name.orElse(defaultProfile);
        TokenProfile p = profiles.get(n);
        if (p == null) {
            throw new CiJwtException(ErrorCode.PROFILE_UNKNOWN, "profile '" + printable(n) + "' is not defined by the operator (defined: "
                    + String.join(", ", new TreeSet<>(profiles.keySet())) + ")");
        }
        return p;
    }

    public String profileName(Optional<String> name) {
        return name.orElse(defaultProfile);
    }

    /**
     * Reads the agent's YAML or JSON config (JSON when the name ends in {@code .json});
     * {@code issuerFlag} (the flag), when not null, wins over the file's {@code issuer}.
     */
    public static AgentConfig read(Path file, String issuerFlag) throws CiJwtException {
        String origin = "agent config " + file;
        return from(ConfigBinder.readTree(file, origin), origin, issuerFlag);
    }

    /** Parses YAML or JSON text; {@code origin} names it in error messages. */
    static AgentConfig parse(String text, String origin, String issuerFlag) throws CiJwtException {
        return from(ConfigBinder.readTree(text, origin), origin, issuerFlag);
    }

    private static AgentConfig from(JsonNode tree, String origin, String issuerFlag) throws CiJwtException {
        AgentFile file = ConfigBinder.bind(tree, AgentFile.class, ConfigBinder.in(origin));
        String issuer = issuerFlag != null ? issuerFlag : file.issuer();
        Map<String, TokenProfile> profiles = new LinkedHashMap<>();
        for (Map.Entry<String, TokenProfile> p : file.profiles().entrySet()) {
            profiles.put(p.getKey(), issuer == null ? p.getValue() : p.getValue().withIssuer(issuer));
        }
        return new AgentConfig(file.defaultProfile(), profiles, file.verificationByTeam(), file.identity());
    }

    /** The same profiles with another identity source. */
    public AgentConfig withIdentity(IdentityConfig other) {
        return new AgentConfig(defaultProfile, profiles, verificationByTeam, other);
    }

    /**
     * The file as written, its rules checked once by {@link #of}: a profile is bound by
     * {@link TokenProfile}'s own rules, the names and the default here.
     *
     * @param issuer the file's issuer, or null when it sets none (each profile keeps its own, or the default)
     * @param defaultProfile one of {@code profiles}
     * @param verificationByTeam the operator's block/warn overrides by team name
     */
    record AgentFile(String issuer, String defaultProfile, Map<String, TokenProfile> profiles,
                     Map<String, ConfigVerifier.Behavior> verificationByTeam, IdentityConfig identity) {

        @JsonCreator
        static AgentFile of(@JsonProperty("issuer") String issuer,
                            @JsonProperty("default_profile") String defaultProfile,
                            @JsonProperty("profiles") Map<String, TokenProfile> profiles,
                            @JsonProperty(BY_TEAM) Map<String, String> byTeam,
                            @JsonProperty(IdentityConfig.SOURCE) String identitySource,
                            @JsonProperty(ConcourseSettings.URL) String concourseUrl,
                            @JsonProperty(ConcourseSettings.USER) String concourseUser,
                            @JsonProperty(ConcourseSettings.PASSWORD_FILE) String concoursePasswordFile,
                            @JsonProperty(ConcourseSettings.CA_FILE) String concourseCaFile,
                            @JsonProperty(ConcourseSettings.TIMEOUT) String concourseTimeout,
                            @JsonProperty(IdentityConfig.STEP_TYPES) java.util.List<String> stepTypes,
                            @JsonProperty(IdentityConfig.FAIL_OPEN) Boolean failOpen) throws SettingException {
            if (issuer != null) {
                try {
                    ClaimsPolicy.validateIssuer(issuer);
                } catch (CiJwtException e) {
                    throw new SettingException(e.code(), "issuer", e.getMessage());
                }
            }
            if (profiles == null || profiles.isEmpty()) {
                throw new SettingException(ErrorCode.SETTING_INVALID, "profiles",
                        "is required: map at least one profile name to its tokens");
            }
            for (String name : profiles.keySet()) {
                if (!PROFILE_NAME.matcher(name).matches()) {
                    throw new SettingException(ErrorCode.SETTING_INVALID, "profiles", "profile name '" + printable(name)
                            + "' must be 1 to 63 lower-case letters, digits, '_' or '-', starting with a letter or digit");
                }
            }
            String def = defaultProfile != null ? defaultProfile
                    : profiles.containsKey(DEFAULT_PROFILE) ? DEFAULT_PROFILE : profiles.keySet().iterator().next();
            if (!profiles.containsKey(def)) {
                throw new SettingException(ErrorCode.SETTING_INVALID, "default_profile", "'" + printable(def)
                        + "' is not one of the profiles (" + String.join(", ", profiles.keySet()) + ")");
            }
            Map<String, ConfigVerifier.Behavior> behaviors = new LinkedHashMap<>();
            if (byTeam != null) {
                for (Map.Entry<String, String> team : byTeam.entrySet()) {
                    try {
                        behaviors.put(team.getKey(), ConfigVerifier.Behavior.parse(team.getValue(), BY_TEAM));
                    } catch (CiJwtException e) {
                        throw new SettingException(e.code(), BY_TEAM + "." + printable(team.getKey()), "must be block or warn");
                    }
                }
            }
            Duration timeout = null;
            if (concourseTimeout != null) {
                try {
                    timeout = Durations.parse(concourseTimeout);
                } catch (Durations.DurationSyntaxException e) {
                    throw new SettingException(ErrorCode.SETTING_INVALID, ConcourseSettings.TIMEOUT, e.getMessage());
                }
            }
            IdentityConfig identity = new IdentityConfig(identitySource == null ? AnnotationIdentity.NAME : identitySource,
                    concourseUrl, concourseUser, concoursePasswordFile == null ? null : Path.of(concoursePasswordFile),
                    concourseCaFile == null ? null : Path.of(concourseCaFile), timeout,
                    stepTypes == null ? null : new java.util.LinkedHashSet<>(stepTypes), Boolean.TRUE.equals(failOpen));
            return new AgentFile(issuer, def, new LinkedHashMap<>(profiles), behaviors, identity);
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(64).forEach(c -> b.append(c >= 0x20 && c < 0x7f ? Character.toString(c) : "?"));
        return b.toString();
    }
}
