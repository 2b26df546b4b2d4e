package org.cijwt.delivery;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.claims.SubjectFormat;
import org.cijwt.config.ConfigBinder;
import org.cijwt.config.SettingException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.jose.SigningAlgorithm;

/**
 * The tokens pre-flight puts into a container, parsed once from YAML or JSON and validated: every
 * token's policy is built here, so a bad setting fails before anything is minted or written.
 *
 * <pre>
 * issuer: https://ci.example.com
 * tokens:
 *   - name: jwt                 # the default token: CONCOURSE_CI_JWT and CONCOURSE_CI_JWT_FILE
 *     audiences: [vault]
 *     ttl: 1h
 *     algorithm: ES256
 *     subject: pipeline         # a scope or a template such as team:{team}:pipeline:{pipeline}
 *   - name: aws
 *     audiences: [sts.amazonaws.com]
 *     ttl: 15m
 *     aws: true                 # AWS_WEB_IDENTITY_TOKEN_FILE points at this file
 * on_request:                   # agent profiles only: what a task may ask for on its token socket
 *   audiences: [sts.amazonaws.com]
 * </pre>
 *
 * @param onRequest what a container may ask for on its token socket, or null: it may ask for nothing
 */
public record TokenProfile(String issuer, List<TokenConfig> tokens, TokenRequestPolicy onRequest) {

    /** The name of the default token, delivered as {@code CONCOURSE_CI_JWT} and the file {@code jwt}. */
    public static final String DEFAULT_TOKEN = "jwt";

    /** Audience of the default token when no configuration file is given. */
    public static final String DEFAULT_AUDIENCE = "ci-jwt";

    /** The variable AWS SDKs read the web-identity token file from. */
    public static final String AWS_TOKEN_FILE_VARIABLE = "AWS_WEB_IDENTITY_TOKEN_FILE";

    /** One token: its file name in the token directory, how it is minted, and whether AWS SDKs should find it. */
    public record TokenConfig(String name, ClaimsPolicy policy, boolean aws) {

        public TokenConfig {
            TokenDirectory.requireValidName(name);
            Objects.requireNonNull(policy, "policy");
        }

        /** The path of this token's file inside the container. */
        public String containerPath() {
            return DeliveryPlan.containerPathOf(name);
        }
    }

    /**
     * Checks the rules of the whole configuration (a token named {@value #DEFAULT_TOKEN}, names that
     * differ, at most one {@code aws} token, one issuer): the one place they are checked, for a file
     * ({@link #parse}, which reports a broken rule at the path {@code tokens}) and for code alike.
     *
     * @throws IllegalArgumentException naming the rule that is broken
     */
    public TokenProfile {
        tokens = List.copyOf(tokens);
        String problem = problem(issuer, tokens);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Tokens without {@code on_request}: a container of this profile may ask for nothing. */
    public TokenProfile(String issuer, List<TokenConfig> tokens) {
        this(issuer, tokens, null);
    }

    /** What a container may ask for on its token socket; empty when it may ask for nothing. */
    public Optional<TokenRequestPolicy> requests() {
        return Optional.ofNullable(onRequest);
    }

    /** One default token {@value #DEFAULT_TOKEN} with audience {@value #DEFAULT_AUDIENCE} and the policy defaults. */
    public static TokenProfile defaults(String issuer) throws CiJwtException {
        ClaimsPolicy policy = ClaimsPolicy.builder().issuer(issuer).audience(DEFAULT_AUDIENCE).build();
        return new TokenProfile(issuer, List.of(new TokenConfig(DEFAULT_TOKEN, policy, false)));
    }

    /** Reads a YAML or JSON configuration file (JSON when the name ends in {@code .json}). */
    public static TokenProfile read(Path file) throws CiJwtException {
        return ConfigBinder.read(file, TokenProfile.class, "pre-flight config");
    }

    /** Parses YAML or JSON text (YAML is a superset of JSON); {@code origin} names the input in error messages. */
    public static TokenProfile parse(String text, String origin) throws CiJwtException {
        return ConfigBinder.read(text, TokenProfile.class, origin);
    }

    /**
     * The file's shape, bound by {@link ConfigBinder}: builds every token's policy once, so each rule is
     * checked here or in the type that owns it ({@link ClaimsPolicy}, {@link SigningAlgorithm},
     * {@link SubjectFormat}, {@link TokenDirectory}), never twice.
     */
    @JsonCreator
    static TokenProfile fromFile(@JsonProperty("issuer") String issuer, @JsonProperty("tokens") List<TokenEntry> tokens,
                                 @JsonProperty("on_request") TokenRequestPolicy onRequest) throws SettingException {
        String iss = issuer == null ? ClaimsPolicy.DEFAULT_ISSUER : issuer;
        try {
            ClaimsPolicy.validateIssuer(iss);
        } catch (CiJwtException e) {
            throw new SettingException(e.code(), "issuer", e.getMessage());
        }
        if (tokens == null) {
            throw new SettingException(ErrorCode.SETTING_INVALID, "tokens",
                    "is required: a list with at least the token '" + DEFAULT_TOKEN + "'");
        }
        List<TokenConfig> built = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            built.add(tokens.get(i).toConfig(iss, "tokens[" + i + "]"));
        }
        try {
            return new TokenProfile(iss, built, onRequest);
        } catch (IllegalArgumentException e) {
            throw new SettingException(ErrorCode.SETTING_INVALID, "tokens", e.getMessage());
        }
    }

    /** One entry of {@code tokens} as written in the file; absent keys take the policy defaults. */
    record TokenEntry(String name, List<String> audiences, Duration ttl, String algorithm, String subject, Boolean aws,
                      Map<String, Object> claims) {

        TokenConfig toConfig(String issuer, String at) throws SettingException {
            if (audiences == null) {
                throw new SettingException(ErrorCode.SETTING_INVALID, at + ".audiences",
                        "is required (who will accept this token, e.g. [vault])");
            }
            ClaimsPolicy.Builder policy = ClaimsPolicy.builder().issuer(issuer).audiences(audiences);
            if (ttl != null) {
                policy.ttl(ttl);
            }
            if (algorithm != null) {
                try {
                    policy.algorithm(SigningAlgorithm.parse(algorithm));
                } catch (CiJwtException e) {
                    throw new SettingException(e.code(), at + ".algorithm", e.getMessage());
                }
            }
            if (subject != null) {
                try {
                    policy.subject(SubjectFormat.parse(subject));
                } catch (CiJwtException e) {
                    throw new SettingException(e.code(), at + ".subject", e.getMessage());
                }
            }
            if (claims != null) {
                policy.extraClaims(claimValues(claims, at + ".claims"));
            }
            ClaimsPolicy built;
            try {
                built = policy.build();
            } catch (CiJwtException e) {
                throw new SettingException(e.code(), at, e.getMessage());
            }
            try {
                return new TokenConfig(name == null ? DEFAULT_TOKEN : name, built, Boolean.TRUE.equals(aws));
            } catch (IllegalArgumentException e) {
                throw new SettingException(ErrorCode.SETTING_INVALID, at + ".name", e.getMessage());
            }
        }

        /** Claims are JSON strings, whole numbers or booleans: what every relying party compares the same way. */
        private static Map<String, Object> claimValues(Map<String, Object> claims, String at) throws SettingException {
            Map<String, Object> values = new LinkedHashMap<>();
            for (Map.Entry<String, Object> claim : claims.entrySet()) {
                Object v = claim.getValue();
                if (v instanceof Integer || v instanceof Long) {
                    values.put(claim.getKey(), ((Number) v).longValue());
                } else if (v instanceof String || v instanceof Boolean) {
                    values.put(claim.getKey(), v);
                } else {
                    throw new SettingException(ErrorCode.SETTING_INVALID, at + "." + claim.getKey(),
                            "must be a string, a whole number (64 bits) or true/false");
                }
            }
            return values;
        }
    }

    /** The rule broken by a whole configuration, or null. */
    private static String problem(String issuer, List<TokenConfig> tokens) {
        if (tokens.isEmpty()) {
            return "at least the token '" + DEFAULT_TOKEN + "' is required";
        }
        Map<String, TokenConfig> byName = new LinkedHashMap<>();
        TokenConfig aws = null;
        for (TokenConfig token : tokens) {
            if (byName.put(token.name(), token) != null) {
                return "two tokens are named '" + token.name() + "'; each becomes a file of its name, so names must differ";
            }
            if (!token.policy().issuer().equals(issuer)) {
                return "token '" + token.name() + "' has issuer " + token.policy().issuer() + ", not the configured " + issuer;
            }
            if (token.aws()) {
                if (aws != null) {
                    return "tokens '" + aws.name() + "' and '" + token.name() + "' both set aws: true, but "
                            + AWS_TOKEN_FILE_VARIABLE + " can point at only one";
                }
                aws = token;
            }
        }
        if (!byName.containsKey(DEFAULT_TOKEN)) {
            return "a token named '" + DEFAULT_TOKEN + "' is required: it becomes " + DeliveryPlan.TOKEN_VARIABLE
                    + " and " + DeliveryPlan.containerPathOf(DEFAULT_TOKEN);
        }
        return null;
    }

    /** This configuration with every token issued by {@code newIssuer} instead (the {@code --issuer} option). */
    public TokenProfile withIssuer(String newIssuer) throws CiJwtException {
        List<TokenConfig> next = new ArrayList<>();
        for (TokenConfig token : tokens) {
            next.add(new TokenConfig(token.name(), token.policy().toBuilder().issuer(newIssuer).build(), token.aws()));
        }
        return new TokenProfile(newIssuer, next, onRequest);
    }

    /** The default token {@value #DEFAULT_TOKEN}. */
    public TokenConfig defaultToken() {
        return token(DEFAULT_TOKEN).orElseThrow();
    }

    /** The token of the given name, if configured. */
    public Optional<TokenConfig> token(String name) {
        return tokens.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The token marked {@code aws: true}, if any. */
    public Optional<TokenConfig> awsToken() {
        return tokens.stream().filter(TokenConfig::aws).findFirst();
    }

    /** The algorithms the tokens are signed with, so a key source creates or loads only those keys. */
    public Set<SigningAlgorithm> algorithms() {
        Set<SigningAlgorithm> algorithms = EnumSet.noneOf(SigningAlgorithm.class);
        tokens.forEach(t -> algorithms.add(t.policy().algorithm()));
        return algorithms;
    }
}
