package org.cijwt.claims;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * How the {@code sub} claim is built from build metadata: a Concourse-compatible scope or a
 * template such as {@code team:{team}:pipeline:{pipeline}:job:{job}}.
 *
 * <p>Every value is percent-encoded byte by byte except RFC 3986 unreserved characters, so a
 * value never contains {@code %}, {@code /}, {@code :} or {@code ,} of its own. Concourse escapes
 * {@code /} but not {@code %}, which lets {@code a%2Fb} and {@code a/b} collide; here the
 * encoding is injective per value, instance vars keep their JSON type (see
 * {@link #instanceVars}), and templates must separate placeholders by a character that values
 * cannot contain, so two different builds never share a {@code sub}.
 */
public final class SubjectFormat {

    /** The Concourse subject scopes, from widest to narrowest. */
    public enum Scope {
        TEAM, PIPELINE, INSTANCE, JOB, STEP;

        static Scope parse(String text) throws CiJwtException {
            try {
                return valueOf(text.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CiJwtException(ErrorCode.SUBJECT_INVALID,
                        "subject scope '" + text + "' is unknown (use team, pipeline, instance, job, step or a template with {placeholders})");
            }
        }
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)}");
    private static final List<String> TEMPLATE_FIELDS = List.of(
            ClaimNames.TEAM, ClaimNames.TEAM_ID, ClaimNames.PIPELINE, ClaimNames.PIPELINE_ID,
            ClaimNames.INSTANCE_VARS, ClaimNames.JOB, ClaimNames.JOB_ID, ClaimNames.TASK,
            ClaimNames.BUILD_ID, ClaimNames.BUILD_NAME, ClaimNames.STEP_TYPE, ClaimNames.WORKER);

    private final Scope scope;
    private final String template;
    private final List<Object> parts;

    private SubjectFormat(Scope scope, String template, List<Object> parts) {
        this.scope = scope;
        this.template = template;
        this.parts = parts;
    }

    public static final SubjectFormat DEFAULT = new SubjectFormat(Scope.PIPELINE, null, List.of());

    public static SubjectFormat scope(Scope scope) {
        return new SubjectFormat(scope, null, List.of());
    }

    /** Parses a scope name or, when the text has a {@code {placeholder}}, a template. */
    public static SubjectFormat parse(String text) throws CiJwtException {
        if (text == null || text.isBlank()) {
            throw new CiJwtException(ErrorCode.SUBJECT_INVALID, "subject format is empty");
        }
        if (!text.contains("{")) {
            return scope(Scope.parse(text.trim()));
        }
        List<Object> parts = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(text);
        int at = 0;
        while (m.find()) {
            String literal = text.substring(at, m.start());
            if (literal.contains("{") || literal.contains("}")) {
                throw new CiJwtException(ErrorCode.SUBJECT_INVALID,
                        "subject template '" + text + "' has a stray brace near position " + at);
            }
            if (!parts.isEmpty() && parts.get(parts.size() - 1) instanceof Field && !hasSeparator(literal)) {
                throw new CiJwtException(ErrorCode.SUBJECT_INVALID,
                        "subject template '" + text + "': placeholders must be separated by a character such as ':' or '/'"
                                + " so that two builds cannot map to the same sub");
            }
            if (!literal.isEmpty()) {
                parts.add(literal);
            }
            String name = m.group(1);
            if (!TEMPLATE_FIELDS.contains(name)) {
                throw new CiJwtException(ErrorCode.SUBJECT_INVALID,
                        "subject template '" + text + "' uses unknown placeholder {" + name + "} (known: "
                                + String.join(", ", TEMPLATE_FIELDS) + ")");
            }
            parts.add(new Field(name));
            at = m.end();
        }
        String tail = text.substring(at);
        if (tail.contains("{") || tail.contains("}")) {
            throw new CiJwtException(ErrorCode.SUBJECT_INVALID,
                    "subject template '" + text + "' has a stray brace near position " + at);
        }
        if (!tail.isEmpty()) {
            parts.add(tail);
        }
        return new SubjectFormat(null, text, List.copyOf(parts));
    }

    private static boolean hasSeparator(String literal) {
        for (int i = 0; i < literal.length(); i++) {
            if (!isUnreserved(literal.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** Builds the subject for a build; fails naming the metadata field the format needs. */
    public String subjectFor(BuildMetadata md) throws CiJwtException {
        if (template != null) {
            StringBuilder sb = new StringBuilder();
            for (Object part : parts) {
                if (part instanceof Field f) {
                    sb.append(value(md, f.name()));
                } else {
                    sb.append((String) part);
                }
            }
            return sb.toString();
        }
        List<String> segments = new ArrayList<>();
        segments.add(escape(md.team()));
        if (scope == Scope.TEAM) {
            return segments.get(0);
        }
        segments.add(escape(need(md.pipeline(), ClaimNames.PIPELINE)));
        if (scope.ordinal() >= Scope.INSTANCE.ordinal() && !md.instanceVars().isEmpty()) {
            segments.add(instanceVars(md.instanceVars()));
        }
        if (scope.ordinal() >= Scope.JOB.ordinal()) {
            segments.add(escape(need(md.job(), ClaimNames.JOB)));
        }
        if (scope == Scope.STEP) {
            segments.add(escape(need(md.task(), ClaimNames.TASK)));
        }
        return String.join("/", segments);
    }

    private String value(BuildMetadata md, String field) throws CiJwtException {
        return switch (field) {
            case ClaimNames.TEAM -> escape(md.team());
            case ClaimNames.TEAM_ID -> escape(need(md.teamId(), field));
            case ClaimNames.PIPELINE -> escape(need(md.pipeline(), field));
            case ClaimNames.PIPELINE_ID -> escape(need(md.pipelineId(), field));
            case ClaimNames.INSTANCE_VARS -> instanceVars(md.instanceVars());
            case ClaimNames.JOB -> escape(need(md.job(), field));
            case ClaimNames.JOB_ID -> escape(need(md.jobId(), field));
            case ClaimNames.TASK -> escape(need(md.task(), field));
            case ClaimNames.BUILD_ID -> escape(md.buildId());
            case ClaimNames.BUILD_NAME -> escape(need(md.buildName(), field));
            case ClaimNames.STEP_TYPE -> escape(need(md.stepType(), field));
            case ClaimNames.WORKER -> escape(need(md.worker(), field));
            default -> throw new IllegalStateException("unvalidated placeholder " + field);
        };
    }

    private String need(String value, String field) throws CiJwtException {
        if (value == null || value.isEmpty()) {
            throw new CiJwtException(ErrorCode.SUBJECT_INVALID,
                    "subject format '" + this + "' needs '" + field + "' but the build metadata has none");
        }
        return value;
    }

    /**
     * Instance vars in key order, comma-separated, each side escaped: a string value as
     * {@code key:value} (Concourse's form), any other value as {@code key=} and its RFC 8785
     * canonical JSON, so {@code 1} ({@code branch=1}) and {@code "1"} ({@code branch:1}) differ, and
     * a nested object has one spelling whatever its member order. Escaped text never holds
     * {@code , : = /}, so the segment reads back one way only.
     */
    static String instanceVars(Map<String, Object> vars) throws CiJwtException {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Object> e : new TreeMap<>(vars).entrySet()) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(escape(e.getKey()));
            if (e.getValue() instanceof String text) {
                sb.append(':').append(escape(text));
            } else {
                sb.append('=').append(escape(CanonicalJson.text(e.getValue(), "build metadata",
                        ClaimNames.INSTANCE_VARS + "." + e.getKey())));
            }
        }
        return sb.toString();
    }

    /** Percent-encodes every UTF-8 byte that is not an RFC 3986 unreserved character. */
    public static String escape(String value) {
        StringBuilder sb = new StringBuilder(value.length());
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && isUnreserved(c)) {
                sb.append(c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    @Override
    public String toString() {
        return template != null ? template : scope.name().toLowerCase(Locale.ROOT);
    }

    private record Field(String name) {
    }
}
