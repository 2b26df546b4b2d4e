package org.cijwt.web;

/** The fixed paths of the web endpoint (see docs/design.md) and the limits they enforce. */
public final class Endpoints {
    public static final String DISCOVERY = "/.well-known/openid-configuration";
    public static final String JWKS = "/.well-known/jwks.json";
    public static final String INTROSPECT = "/api/v1/tokens/introspect";
    public static final String HEALTHZ = "/healthz";
    public static final String READYZ = "/readyz";
    public static final String METRICS = "/metrics";

    /** Largest introspection body; a token we mint is under 2 KiB. */
    public static final int MAX_INTROSPECTION_BODY = 16 * 1024;
    /** How long an introspection body may take to arrive after its headers: a token is one packet. */
    public static final java.time.Duration BODY_DEADLINE = java.time.Duration.ofSeconds(10);

    static final String JSON = "application/json";
    /** Plain JSON, not application/jwk-set+json: some relying parties only accept the former. */
    static final String JWKS_TYPE = "application/json";

    private Endpoints() {
    }
}
