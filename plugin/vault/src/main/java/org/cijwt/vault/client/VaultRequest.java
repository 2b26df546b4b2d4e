package org.cijwt.vault.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One call to Vault's HTTP API, without the token (the {@link VaultTokens} of the caller adds it).
 *
 * @param method GET or POST
 * @param path below {@code /v1/}, unencoded: each segment is percent-encoded when sent
 * @param body a JSON body, or null
 * @param what what the call is for, e.g. {@code reading transit key transit/ci-jwt}; used in errors and logs
 * @param attemptTimeout how long one attempt may wait for its answer; empty: until the call's deadline
 */
public record VaultRequest(String method, String path, JsonNode body, String what, Optional<Duration> attemptTimeout) {

    public VaultRequest {
        if (!method.equals("GET") && !method.equals("POST")) {
            throw new IllegalArgumentException("unsupported method " + method);
        }
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(what, "what");
        Objects.requireNonNull(attemptTimeout, "attemptTimeout");
    }

    public static VaultRequest get(String path, String what) {
        return new VaultRequest("GET", path, null, what, Optional.empty());
    }

    public static VaultRequest post(String path, JsonNode body, String what) {
        return new VaultRequest("POST", path, body, what, Optional.empty());
    }

    /** This request with each attempt bounded by {@code timeout} (the var source's login_timeout and query_timeout). */
    public VaultRequest eachWithin(Duration timeout) {
        return new VaultRequest(method, path, body, what, Optional.of(timeout));
    }

    /** Method and path only: the body may hold a JWT or a secret id. */
    @Override
    public String toString() {
        return method + " /v1/" + path;
    }
}
