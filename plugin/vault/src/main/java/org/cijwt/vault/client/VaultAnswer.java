package org.cijwt.vault.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One answer from Vault: its status and its body parsed as JSON (an empty object when there is none
 * or it is not JSON, such as a proxy's HTML error page; the status still says what happened).
 */
public record VaultAnswer(int status, JsonNode json) {

    public boolean ok() {
        return status / 100 == 2;
    }

    /** Vault's {@code errors}, each on one line, joined with {@code "; "}; empty when it gave none. */
    public String errors() {
        List<String> errors = new ArrayList<>();
        json.path("errors").forEach(e -> errors.add(oneLine(e.asText())));
        errors.removeIf(String::isEmpty);
        return String.join("; ", errors);
    }

    /** Vault's errors, or {@code HTTP <status>} when it gave none. */
    public String reason() {
        String errors = errors();
        return errors.isEmpty() ? "HTTP " + status : errors;
    }

    /** {@code HTTP <status>} and Vault's errors, if any. */
    public String statusAndErrors() {
        String errors = errors();
        return "HTTP " + status + (errors.isEmpty() ? "" : " " + errors);
    }

    /** Vault's multi-line error texts on one line, without go-multierror's "1 error occurred" preamble. */
    public static String oneLine(String text) {
        return text.replaceAll("\\s*\\n\\s*", " ").replace("1 error occurred: * ", "").trim();
    }
}
