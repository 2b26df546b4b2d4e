package org.cijwt.vault;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * A lookup path template such as {@code /{{.Team}}/{{.Pipeline}}/{{.Secret}}}, split once into
 * literal text and placeholders, so that rendering puts each value in exactly once and never reads
 * a value as a template: a pipeline named {@code {{.Secret}}} stays that name in the path.
 */
public record LookupTemplate(String text, List<Part> parts) {

    public static final String TEAM = "{{.Team}}";
    public static final String PIPELINE = "{{.Pipeline}}";
    public static final String SECRET = "{{.Secret}}";

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{[^{}]*}}");

    /** Literal text, or one of the three placeholders. */
    public sealed interface Part permits Literal, Placeholder {
    }

    /** Text copied as it is. */
    public record Literal(String text) implements Part {
    }

    /** A value put in at render time. */
    public enum Placeholder implements Part {
        TEAM_NAME, PIPELINE_NAME, SECRET_NAME
    }

    public LookupTemplate {
        Objects.requireNonNull(text, "text");
        parts = List.copyOf(parts);
    }

    /**
     * Splits {@code text}; {@code path} names the setting in errors.
     *
     * @param requireSecret whether the template must contain {@code {{.Secret}}} (lookup templates do)
     */
    static LookupTemplate parse(String text, String path, boolean requireSecret) throws CiJwtException {
        List<Part> parts = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(text);
        int at = 0;
        boolean hasSecret = false;
        while (m.find()) {
            literal(text.substring(at, m.start()), path).ifPresent(parts::add);
            Placeholder placeholder = switch (m.group()) {
                case TEAM -> Placeholder.TEAM_NAME;
                case PIPELINE -> Placeholder.PIPELINE_NAME;
                case SECRET -> Placeholder.SECRET_NAME;
                default -> throw new CiJwtException(ErrorCode.SETTING_INVALID, path + ": unknown placeholder "
                        + m.group() + " (known: " + TEAM + ", " + PIPELINE + ", " + SECRET + ")");
            };
            hasSecret |= placeholder == Placeholder.SECRET_NAME;
            parts.add(placeholder);
            at = m.end();
        }
        literal(text.substring(at), path).ifPresent(parts::add);
        if (requireSecret && !hasSecret) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, path + ": must contain " + SECRET);
        }
        return new LookupTemplate(text, parts);
    }

    private static Optional<Part> literal(String text, String path) throws CiJwtException {
        if (text.contains("{{") || text.contains("}}")) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, path + ": has a '{{' or '}}' that is not one of the"
                    + " placeholders " + TEAM + ", " + PIPELINE + ", " + SECRET);
        }
        for (String segment : text.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                throw new CiJwtException(ErrorCode.SETTING_INVALID, path + ": has a '.' or '..' path segment");
            }
        }
        return text.isEmpty() ? Optional.empty() : Optional.of(new Literal(text));
    }

    /** A template that is a folder: {@code /shared} becomes {@code /shared/{{.Secret}}}. */
    LookupTemplate withSecretAppended() {
        if (parts.contains(Placeholder.SECRET_NAME)) {
            return this;
        }
        List<Part> more = new ArrayList<>(parts);
        more.add(new Literal("/"));
        more.add(Placeholder.SECRET_NAME);
        return new LookupTemplate(text + "/" + SECRET, more);
    }

    /** Whether rendering needs a pipeline name, so the template does not apply to a one-off build. */
    public boolean needsPipeline() {
        return parts.contains(Placeholder.PIPELINE_NAME);
    }

    /** Puts the three values in, each once, in one pass; a value is never read as a placeholder. */
    public String render(String team, String pipeline, String secret) {
        StringBuilder out = new StringBuilder();
        for (Part part : parts) {
            if (part instanceof Literal literal) {
                out.append(literal.text());
            } else {
                out.append(switch ((Placeholder) part) {
                    case TEAM_NAME -> team;
                    case PIPELINE_NAME -> Objects.requireNonNull(pipeline, "pipeline");
                    case SECRET_NAME -> secret;
                });
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return text;
    }
}
