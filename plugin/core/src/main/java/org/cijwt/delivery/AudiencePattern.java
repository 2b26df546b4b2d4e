package org.cijwt.delivery;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One entry of a profile's {@code on_request.audiences}: an exact audience, or a simple pattern.
 *
 * <p>The rule, the same everywhere: a {@code *} matches one or more characters other than
 * {@code /}; a {@code *} that ends the pattern matches one or more characters of any kind,
 * {@code /} included. Every other character matches itself, case and all. So
 * {@code //iam.googleapis.com/projects/*} matches every provider under any project
 * ({@code //iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/p}),
 * {@code https://*.example.com} matches {@code https://vault.example.com} but neither
 * {@code https://example.com} nor {@code https://evil.test/.example.com}. A pattern that is
 * nothing but {@code *} and {@code /}, or has {@code **}, is refused: it would allow any audience.
 */
public final class AudiencePattern {
    /** Longest audience or pattern accepted: well above any cloud provider's resource names. */
    public static final int MAX_LENGTH = 256;

    private final String text;
    private final Pattern regex;

    private AudiencePattern(String text, Pattern regex) {
        this.text = text;
        this.regex = regex;
    }

    /**
     * Parses one allow-list entry.
     *
     * @throws IllegalArgumentException naming what is wrong with it
     */
    public static AudiencePattern parse(String text) {
        Objects.requireNonNull(text, "text");
        String problem = problem(text);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        if (text.contains("**")) {
            throw new IllegalArgumentException("'" + text + "' has '**'; write one '*'");
        }
        if (text.chars().allMatch(c -> c == '*' || c == '/')) {
            throw new IllegalArgumentException("'" + text + "' would allow any audience; name the relying party");
        }
        StringBuilder re = new StringBuilder();
        int start = 0;
        for (int i = text.indexOf('*'); i >= 0; i = text.indexOf('*', start)) {
            if (i > start) {
                re.append(Pattern.quote(text.substring(start, i)));
            }
            re.append(i == text.length() - 1 ? ".+" : "[^/]+");
            start = i + 1;
        }
        if (start < text.length()) {
            re.append(Pattern.quote(text.substring(start)));
        }
        return new AudiencePattern(text, Pattern.compile(re.toString(), Pattern.DOTALL));
    }

    /**
     * Why {@code audience} cannot be an audience at all (empty, too long, or with a character
     * outside printable ASCII or a space), or null when it can.
     */
    public static String problem(String audience) {
        if (audience.isEmpty()) {
            return "an audience is empty";
        }
        if (audience.length() > MAX_LENGTH) {
            return "an audience is longer than " + MAX_LENGTH + " characters";
        }
        for (int i = 0; i < audience.length(); i++) {
            char c = audience.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return "an audience has a character outside printable ASCII (or a space) at position " + (i + 1);
            }
        }
        return null;
    }

    /** Whether {@code audience} is allowed by this entry. */
    public boolean matches(String audience) {
        return regex.matcher(audience).matches();
    }

    /** Whether this entry is an exact audience, with no {@code *}. */
    public boolean exact() {
        return text.indexOf('*') < 0;
    }

    /** The entry as the operator wrote it. */
    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AudiencePattern p && p.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }
}
