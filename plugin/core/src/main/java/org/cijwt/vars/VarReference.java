package org.cijwt.vars;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One parsed {@code ((source:path.field))} reference: the var source (null when none is named,
 * {@value #LOCAL} for a local var), the secret path and the fields to read inside the secret.
 *
 * <p>Grammar, written inside {@code ((} and {@code ))}:
 * <ul>
 *   <li>{@code ((path))}, {@code ((path.field.subfield))}: no source named;</li>
 *   <li>{@code ((source:path.field))}: the source is everything before the first colon that is not
 *       inside double quotes, so a path may itself contain colons;</li>
 *   <li>{@code ((.name))} or {@code ((.:name))}: a local var;</li>
 *   <li>segments are separated by dots; a segment wrapped in double quotes may contain dots, colons,
 *       spaces and any other character except a double quote or a line break:
 *       {@code ((hvjwt:"secret with_spaces.etc".some_key))}.</li>
 * </ul>
 * Unquoted segments hold letters, digits, {@code - _ /} and colons; anything else must be quoted.
 */
public record VarReference(String source, String path, List<String> fields) {

    /** The source name that marks a local var, as in {@code ((.:name))}. */
    public static final String LOCAL = ".";

    public VarReference {
        if (source != null && !source.equals(LOCAL) && !isValidSourceName(source)) {
            throw new IllegalArgumentException("invalid var source name '" + source + "'");
        }
        requireSegment(path, "path");
        fields = List.copyOf(Objects.requireNonNull(fields, "fields"));
        for (String field : fields) {
            requireSegment(field, "field");
        }
    }

    /** A reference to a secret with no fields. */
    public static VarReference of(String source, String path) {
        return new VarReference(source, path, List.of());
    }

    /** Whether this names a local var ({@code ((.name))}). */
    public boolean isLocal() {
        return LOCAL.equals(source);
    }

    /** This reference without its fields: what a var source is asked to look up. */
    public VarReference secret() {
        return fields.isEmpty() ? this : new VarReference(source, path, List.of());
    }

    /** The reference in canonical form, including {@code ((} and {@code ))}; segments are quoted where needed. */
    public String text() {
        StringBuilder out = new StringBuilder("((");
        if (source != null) {
            out.append(source).append(':');
        }
        out.append(quoteIfNeeded(path));
        for (String field : fields) {
            out.append('.').append(quoteIfNeeded(field));
        }
        return out.append("))").toString();
    }

    @Override
    public String toString() {
        return text();
    }

    /**
     * Parses the text between {@code ((} and {@code ))}.
     *
     * @param inner the reference without its surrounding parentheses, e.g. {@code hvjwt:some_secret.username}
     * @throws VarSyntaxException naming the reference and what is wrong with it
     */
    public static VarReference parse(String inner) throws VarSyntaxException {
        Objects.requireNonNull(inner, "inner");
        String written = "((" + inner + "))";
        if (inner.isBlank()) {
            throw new VarSyntaxException(written, "empty reference");
        }
        int colon = firstUnquotedColon(written, inner);
        String source;
        String rest;
        if (colon >= 0) {
            source = inner.substring(0, colon);
            rest = inner.substring(colon + 1);
            if (source.isEmpty()) {
                throw new VarSyntaxException(written, "empty var source name before ':'");
            }
            if (!source.equals(LOCAL) && !isValidSourceName(source)) {
                throw new VarSyntaxException(written, "invalid var source name '" + source
                        + "' (letters, digits, '-', '_' and '.', not starting with '.')");
            }
        } else if (inner.startsWith(".")) {
            source = LOCAL;
            rest = inner.substring(1);
        } else {
            source = null;
            rest = inner;
        }
        if (rest.isEmpty()) {
            throw new VarSyntaxException(written, LOCAL.equals(source)
                    ? "missing local var name" : "missing path after '" + source + ":'");
        }
        List<String> segments = segments(written, rest);
        return new VarReference(source, segments.get(0), segments.subList(1, segments.size()));
    }

    private static int firstUnquotedColon(String written, String inner) throws VarSyntaxException {
        boolean quoted = false;
        int colon = -1;
        for (int i = 0; i < inner.length(); i++) {
            char c = inner.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ':' && !quoted && colon < 0) {
                colon = i;
            }
        }
        if (quoted) {
            throw new VarSyntaxException(written, "unbalanced quote");
        }
        return colon;
    }

    private static List<String> segments(String written, String rest) throws VarSyntaxException {
        List<String> raw = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < rest.length(); i++) {
            char c = rest.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '.' && !quoted) {
                raw.add(rest.substring(start, i));
                start = i + 1;
            }
        }
        raw.add(rest.substring(start));

        List<String> segments = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            String segment = raw.get(i);
            if (segment.isEmpty()) {
                throw new VarSyntaxException(written, emptySegment(raw, i));
            }
            segments.add(segment.startsWith("\"") ? unquote(written, segment) : checkUnquoted(written, segment));
        }
        return segments;
    }

    private static String emptySegment(List<String> raw, int index) {
        if (index == 0) {
            return "empty segment: the path starts with '.'";
        }
        if (index == raw.size() - 1) {
            return "empty segment: the reference ends with '.'";
        }
        return "empty segment after '" + raw.get(index - 1) + "' (two dots in a row)";
    }

    private static String unquote(String written, String segment) throws VarSyntaxException {
        if (segment.length() < 2 || !segment.endsWith("\"")) {
            throw new VarSyntaxException(written, "quoted segment " + segment
                    + " must end with '\"' right before '.', ':' or '))'");
        }
        String content = segment.substring(1, segment.length() - 1);
        if (content.indexOf('"') >= 0) {
            throw new VarSyntaxException(written, "quoted segment " + segment
                    + " must end with '\"' right before '.', ':' or '))'");
        }
        if (content.isEmpty()) {
            throw new VarSyntaxException(written, "empty segment: \"\"");
        }
        if (content.indexOf('\n') >= 0 || content.indexOf('\r') >= 0) {
            throw new VarSyntaxException(written, "line break inside quoted segment");
        }
        return content;
    }

    private static String checkUnquoted(String written, String segment) throws VarSyntaxException {
        if (segment.indexOf('"') >= 0) {
            throw new VarSyntaxException(written, "quote inside segment '" + segment
                    + "'; quote the whole segment instead");
        }
        for (int i = 0; i < segment.length(); ) {
            int c = segment.codePointAt(i);
            if (!isUnquotedChar(c)) {
                throw new VarSyntaxException(written, describe(c) + " in segment '" + segment
                        + "' needs quotes: \"" + segment + "\"");
            }
            i += Character.charCount(c);
        }
        return segment;
    }

    private static String describe(int c) {
        if (Character.isWhitespace(c)) {
            return c == ' ' ? "space" : "whitespace";
        }
        if (Character.isISOControl(c)) {
            return "control character";
        }
        return "character '" + new String(Character.toChars(c)) + "'";
    }

    /** Characters an unquoted segment may hold; the reference scanner uses the same set plus '.' and '"'. */
    static boolean isUnquotedChar(int c) {
        return Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '/' || c == ':';
    }

    /** Whether {@code name} can name a var source; the scanner and {@link Interpolator} share this rule. */
    static boolean isValidSourceName(String name) {
        if (name == null || name.isEmpty() || name.charAt(0) == '.') {
            return false;
        }
        for (int i = 0; i < name.length(); ) {
            int c = name.codePointAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.')) {
                return false;
            }
            i += Character.charCount(c);
        }
        return true;
    }

    private static void requireSegment(String segment, String what) {
        Objects.requireNonNull(segment, what);
        if (segment.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        // A double quote or line break could not be written back in reference syntax.
        if (segment.indexOf('"') >= 0 || segment.indexOf('\n') >= 0 || segment.indexOf('\r') >= 0) {
            throw new IllegalArgumentException(what + " must not contain a double quote or a line break");
        }
    }

    private static String quoteIfNeeded(String segment) {
        for (int i = 0; i < segment.length(); ) {
            int c = segment.codePointAt(i);
            // ':' is quoted too: in a reference without a source it would be read as the separator.
            if (c == ':' || !isUnquotedChar(c)) {
                return '"' + segment + '"';
            }
            i += Character.charCount(c);
        }
        return segment;
    }
}
