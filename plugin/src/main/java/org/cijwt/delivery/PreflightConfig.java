package org.cijwt.delivery;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.claims.SubjectFormat;
import org.cijwt.config.Durations;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.SecureFiles;
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
 * </pre>
 */
public record PreflightConfig(String issuer, List<TokenConfig> tokens) {

    /** The name of the default token, delivered as {@code CONCOURSE_CI_JWT} and the file {@code jwt}. */
    public static final String DEFAULT_TOKEN = "jwt";

    /** Audience of the default token when no configuration file is given. */
    public static final String DEFAULT_AUDIENCE = "ci-jwt";

    /** The variable AWS SDKs read the web-identity token file from. */
    public static final String AWS_TOKEN_FILE_VARIABLE = "AWS_WEB_IDENTITY_TOKEN_FILE";

    private static final List<String> TOP_LEVEL_KEYS = List.of("issuer", "tokens");
    private static final List<String> TOKEN_KEYS =
            List.of("name", "audiences", "ttl", "algorithm", "subject", "aws", "claims");

    /** Loaded on first parse only: a pre-flight without a config file never pays for the YAML parser. */
    private static final class Yaml {
        static final ObjectMapper MAPPER = YAMLMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .build();
    }

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
     * Validates the whole configuration.
     *
     * @throws IllegalArgumentException for rules a parsed file cannot break (use {@link #parse} for files)
     */
    public PreflightConfig {
        tokens = List.copyOf(tokens);
        String problem = problem(issuer, tokens);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** One default token {@value #DEFAULT_TOKEN} with audience {@value #DEFAULT_AUDIENCE} and the policy defaults. */
    public static PreflightConfig defaults(String issuer) throws CiJwtException {
        ClaimsPolicy policy = ClaimsPolicy.builder().issuer(issuer).audience(DEFAULT_AUDIENCE).build();
        return new PreflightConfig(issuer, List.of(new TokenConfig(DEFAULT_TOKEN, policy, false)));
    }

    /** Reads a YAML or JSON configuration file (YAML is a superset of JSON). */
    public static PreflightConfig read(Path file) throws CiJwtException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw invalid("pre-flight config " + file + " does not exist");
        } catch (IOException e) {
            throw invalid("pre-flight config " + file + " cannot be read: " + SecureFiles.reason(e));
        }
        return parse(text, "pre-flight config " + file);
    }

    /** Parses YAML or JSON text; {@code origin} names the input in error messages. */
    public static PreflightConfig parse(String text, String origin) throws CiJwtException {
        JsonNode root;
        try {
            root = Yaml.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            String reason = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")
                    ? " (a key appears twice)" : "";
            throw invalid(origin + " is not valid YAML or JSON" + where + reason);
        }
        if (root == null || root.isMissingNode() || !root.isObject()) {
            throw invalid(origin + " must be a mapping with 'tokens' (and optionally 'issuer')");
        }
        requireKnownKeys(root, TOP_LEVEL_KEYS, origin);
        String issuer = ClaimsPolicy.DEFAULT_ISSUER;
        if (root.has("issuer")) {
            issuer = text(root.get("issuer"), origin + ": issuer");
        }
        try {
            ClaimsPolicy.validateIssuer(issuer);
        } catch (CiJwtException e) {
            throw invalid(origin + ": " + e.getMessage());
        }
        JsonNode tokensNode = root.get("tokens");
        if (tokensNode == null || !tokensNode.isArray() || tokensNode.isEmpty()) {
            throw invalid(origin + ": 'tokens' must be a non-empty list (at least the token '" + DEFAULT_TOKEN + "')");
        }
        List<TokenConfig> tokens = new ArrayList<>();
        for (int i = 0; i < tokensNode.size(); i++) {
            tokens.add(token(tokensNode.get(i), issuer, origin + ": tokens[" + i + "]"));
        }
        String problem = problem(issuer, tokens);
        if (problem != null) {
            throw invalid(origin + ": " + problem);
        }
        return new PreflightConfig(issuer, tokens);
    }

    private static TokenConfig token(JsonNode node, String issuer, String where) throws CiJwtException {
        if (node == null || !node.isObject()) {
            throw invalid(where + " must be a mapping with name, audiences, ttl, algorithm, subject, aws");
        }
        requireKnownKeys(node, TOKEN_KEYS, where);
        String name = node.has("name") ? text(node.get("name"), where + " name") : DEFAULT_TOKEN;
        try {
            TokenDirectory.requireValidName(name);
        } catch (IllegalArgumentException e) {
            throw invalid(where + ": " + e.getMessage());
        }
        String at = where + " (" + name + ")";
        ClaimsPolicy.Builder policy = ClaimsPolicy.builder().issuer(issuer);
        JsonNode audiences = node.get("audiences");
        if (audiences == null) {
            throw invalid(at + ": 'audiences' is required (who will accept this token, e.g. [vault])");
        }
        if (audiences.isTextual()) {
            policy.audience(audiences.asText());
        } else if (audiences.isArray()) {
            for (JsonNode audience : audiences) {
                policy.audience(text(audience, at + " audiences"));
            }
        } else {
            throw invalid(at + ": 'audiences' must be a list of strings");
        }
        if (node.has("ttl")) {
            policy.ttl(duration(node.get("ttl"), at + " ttl"));
        }
        if (node.has("algorithm")) {
            String alg = text(node.get("algorithm"), at + " algorithm");
            try {
                policy.algorithm(SigningAlgorithm.parse(alg));
            } catch (CiJwtException e) {
                throw invalid(at + ": " + e.getMessage());
            }
        }
        if (node.has("subject")) {
            try {
                policy.subject(SubjectFormat.parse(text(node.get("subject"), at + " subject")));
            } catch (CiJwtException e) {
                throw invalid(at + ": " + e.getMessage());
            }
        }
        boolean aws = false;
        if (node.has("aws")) {
            JsonNode flag = node.get("aws");
            if (!flag.isBoolean()) {
                throw invalid(at + ": 'aws' must be true or false");
            }
            aws = flag.booleanValue();
        }
        if (node.has("claims")) {
            policy.extraClaims(claims(node.get("claims"), at + " claims"));
        }
        try {
            return new TokenConfig(name, policy.build(), aws);
        } catch (CiJwtException e) {
            throw invalid(at + ": " + e.getMessage());
        }
    }

    private static Map<String, Object> claims(JsonNode node, String where) throws CiJwtException {
        if (!node.isObject()) {
            throw invalid(where + " must be a mapping of claim names to strings, numbers or booleans");
        }
        Map<String, Object> claims = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> claim = it.next();
            JsonNode value = claim.getValue();
            if (value.isTextual()) {
                claims.put(claim.getKey(), value.asText());
            } else if (value.isBoolean()) {
                claims.put(claim.getKey(), value.booleanValue());
            } else if (value.isIntegralNumber()) {
                claims.put(claim.getKey(), value.longValue());
            } else {
                throw invalid(where + ": '" + claim.getKey() + "' must be a string, an integer or a boolean");
            }
        }
        return claims;
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
    public PreflightConfig withIssuer(String newIssuer) throws CiJwtException {
        List<TokenConfig> next = new ArrayList<>();
        for (TokenConfig token : tokens) {
            next.add(new TokenConfig(token.name(), token.policy().toBuilder().issuer(newIssuer).build(), token.aws()));
        }
        return new PreflightConfig(newIssuer, next);
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

    private static void requireKnownKeys(JsonNode object, List<String> known, String where) throws CiJwtException {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String key = names.next();
            if (!known.contains(key)) {
                throw invalid(where + ": unknown key '" + key + "' (known keys: " + String.join(", ", known) + ")");
            }
        }
    }

    private static String text(JsonNode node, String what) throws CiJwtException {
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw invalid(what + " must be a non-empty string");
        }
        return node.asText();
    }

    private static Duration duration(JsonNode node, String what) throws CiJwtException {
        if (node.isIntegralNumber()) {
            return Duration.ofSeconds(node.longValue());
        }
        String text = text(node, what);
        try {
            return Durations.parse(text);
        } catch (Durations.DurationSyntaxException e) {
            throw invalid(what + ": '" + text + "' " + e.getMessage());
        }
    }

    private static CiJwtException invalid(String message) {
        return new CiJwtException(ErrorCode.SETTING_INVALID, message);
    }
}
