package org.cijwt.vars;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A string split into literal text and {@code ((...))} references, found with a scanner that
 * understands quoted segments, so {@code test "((hvjwt:"secret with_spaces.etc".some_key))" = "x"}
 * yields one reference.
 *
 * <p>Text that only looks like a reference stays literal, because task configs are full of shell:
 * {@code $((i + 1))} and {@code $((count))} (arithmetic expansion) and {@code (( x > 3 ))} (a space
 * or an operator outside quotes) are not references. Once a candidate has used a double quote it
 * is clearly meant as a reference, so a quote that is never closed, or a closing quote not followed
 * by {@code .}, {@code :} or {@code ))}, is a {@link VarSyntaxException} rather than silent literal
 * text.
 */
public final class VarTemplate {

    /** One piece of a template. */
    public sealed interface Part permits Literal, Reference {
    }

    /** Text copied as it is. */
    public record Literal(String text) implements Part {
        public Literal {
            Objects.requireNonNull(text, "text");
        }
    }

    /** A reference and the exact text it was written as. */
    public record Reference(VarReference reference, String written) implements Part {
        public Reference {
            Objects.requireNonNull(reference, "reference");
            Objects.requireNonNull(written, "written");
        }
    }

    /** Longest piece of text quoted back in an error about an unterminated reference. */
    private static final int MAX_QUOTED_TEXT = 120;

    private final List<Part> parts;

    private VarTemplate(List<Part> parts) {
        this.parts = List.copyOf(parts);
    }

    /**
     * Scans {@code text} for references.
     *
     * @throws VarSyntaxException for the first reference that is malformed
     */
    public static VarTemplate parse(String text) throws VarSyntaxException {
        Objects.requireNonNull(text, "text");
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int from = 0;
        int copied = 0;
        while (true) {
            int open = text.indexOf("((", from);
            if (open < 0) {
                break;
            }
            if (open > 0 && text.charAt(open - 1) == '$') {
                // Shell arithmetic expansion, never a reference.
                from = open + 2;
                continue;
            }
            int close = findClose(text, open);
            if (close < 0) {
                // Not a reference; look again one character later so "(((x)))" still finds "((x))".
                from = open + 1;
                continue;
            }
            literal.append(text, copied, open);
            if (literal.length() > 0) {
                parts.add(new Literal(literal.toString()));
                literal.setLength(0);
            }
            String written = text.substring(open, close + 2);
            parts.add(new Reference(VarReference.parse(text.substring(open + 2, close)), written));
            from = close + 2;
            copied = from;
        }
        literal.append(text, copied, text.length());
        if (literal.length() > 0) {
            parts.add(new Literal(literal.toString()));
        }
        return new VarTemplate(parts);
    }

    /**
     * Index of the {@code ))} closing the candidate opened at {@code open}, or -1 when the candidate
     * is not a reference.
     */
    private static int findClose(String text, int open) throws VarSyntaxException {
        boolean quoted = false;
        boolean usedQuotes = false;
        int i = open + 2;
        while (i < text.length()) {
            int c = text.codePointAt(i);
            if (quoted) {
                if (c == '"') {
                    quoted = false;
                    if (!closesSegment(text, i + 1)) {
                        throw new VarSyntaxException(excerpt(text, open, i + 1),
                                "unbalanced quote (a quoted segment must be followed by '.', ':' or '))')");
                    }
                } else if (c == '\n' || c == '\r') {
                    throw new VarSyntaxException(excerpt(text, open, i), "unbalanced quote");
                }
            } else if (c == '"') {
                quoted = true;
                usedQuotes = true;
            } else if (c == ')' && text.startsWith("))", i)) {
                return i;
            } else if (c != '.' && !VarReference.isUnquotedChar(c)) {
                if (usedQuotes) {
                    throw new VarSyntaxException(excerpt(text, open, i + Character.charCount(c)),
                            "unexpected " + (Character.isWhitespace(c) ? "whitespace" : "character")
                                    + " outside quotes, or missing '))'");
                }
                return -1;
            }
            i += Character.charCount(c);
        }
        if (quoted) {
            throw new VarSyntaxException(excerpt(text, open, text.length()), "unbalanced quote");
        }
        if (usedQuotes) {
            throw new VarSyntaxException(excerpt(text, open, text.length()), "missing '))'");
        }
        return -1;
    }

    private static boolean closesSegment(String text, int i) {
        return i < text.length() && (text.charAt(i) == '.' || text.charAt(i) == ':' || text.startsWith("))", i));
    }

    private static String excerpt(String text, int from, int to) {
        return to - from > MAX_QUOTED_TEXT
                ? text.substring(from, from + MAX_QUOTED_TEXT) + "..."
                : text.substring(from, to);
    }

    /** The literal and reference parts in order; empty for an empty string. */
    public List<Part> parts() {
        return parts;
    }

    /** Every reference in order of appearance, repeats included. */
    public List<VarReference> references() {
        List<VarReference> refs = new ArrayList<>();
        for (Part part : parts) {
            if (part instanceof Reference r) {
                refs.add(r.reference());
            }
        }
        return List.copyOf(refs);
    }

    /** Whether the text holds at least one reference. */
    public boolean hasReferences() {
        return parts.stream().anyMatch(Reference.class::isInstance);
    }

    /** The reference when the whole text is exactly one reference, so its value may replace the text with any type. */
    public Optional<VarReference> singleReference() {
        if (parts.size() == 1 && parts.get(0) instanceof Reference r) {
            return Optional.of(r.reference());
        }
        return Optional.empty();
    }
}
