package org.cijwt.errors;

/**
 * Makes text that came from untrusted input (a token's header or claims, a pipeline's names) safe
 * to print on a terminal or write to a log line, so that an escape sequence, a newline or a
 * bidirectional override in a forged value cannot move the cursor, forge a log line or hide text.
 *
 * <p>Control characters (C0, DEL, C1), format characters (bidi overrides, zero-width characters),
 * line and paragraph separators and unpaired surrogates become {@code \\uXXXX}; everything else,
 * including ordinary non-ASCII letters, is kept.
 */
public final class Printable {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private Printable() {
    }

    /**
     * A value for a sentence: unsafe characters and the backslash itself are escaped, so the
     * printed form can be read back unambiguously; null reads {@code (none)}.
     */
    public static String of(String value) {
        if (value == null) {
            return "(none)";
        }
        return escape(value, true);
    }

    /** {@link #of} in single quotes, for values inside a sentence. */
    public static String quoted(String value) {
        return value == null ? "(none)" : "'" + escape(value, true) + "'";
    }

    /**
     * JSON text as produced by a JSON library, made safe to print: the library already escapes
     * C0 controls inside strings, so a raw newline or tab is layout and stays; what the library
     * leaves raw (DEL, C1, format characters, separators) becomes a {@code \\uXXXX} escape,
     * which keeps the JSON valid and its values unchanged.
     */
    public static String json(String json) {
        return escape(json, false);
    }

    /** Whether {@code c} would be escaped: a character that may steer a terminal or a log reader. */
    public static boolean unsafe(int c) {
        if (Character.isISOControl(c)) {
            return true;
        }
        int type = Character.getType(c);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                || type == Character.SURROGATE;
    }

    private static String escape(String s, boolean text) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = Character.charCount(cp);
            boolean layout = !text && (cp == '\n' || cp == '\r' || cp == '\t');
            boolean escape = !layout && (unsafe(cp) || (text && cp == '\\'));
            if (escape && sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (escape) {
                if (cp == '\\') {
                    sb.append("\\\\");
                } else {
                    for (int j = i; j < i + n; j++) {
                        char c = s.charAt(j);
                        sb.append("\\u").append(HEX[(c >> 12) & 0xf]).append(HEX[(c >> 8) & 0xf])
                                .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
                    }
                }
            } else if (sb != null) {
                sb.append(s, i, i + n);
            }
            i += n;
        }
        return sb == null ? s : sb.toString();
    }
}
