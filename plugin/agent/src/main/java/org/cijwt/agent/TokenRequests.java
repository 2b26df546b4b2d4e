package org.cijwt.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.config.Durations;
import org.cijwt.delivery.AudiencePattern;
import org.cijwt.delivery.TokenDelivery;
import org.cijwt.delivery.TokenProfile;
import org.cijwt.delivery.TokenRequestPolicy;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;
import org.cijwt.tokens.MintedToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code POST /v1/tokens} on a container's token socket. The claims are those of the
 * container the socket belongs to, never of anything the caller says or of its PID; the PID only
 * gates: the caller must be a live process in that container's PID namespace (pinned at the first
 * request by the container's init process), so a host process, a process of another container
 * handed the socket, or a process that reused a gone caller's PID outside the container is
 * refused. Then the profile's {@code on_request} limits, then whether the build and its config
 * check still hold; only then is a token minted, logged once (never the token) and counted.
 */
final class TokenRequests {
    private static final Logger LOG = LoggerFactory.getLogger(TokenRequests.class);
    private static final Set<String> FIELDS = Set.of("audience", "lifetime");

    /** What the agent serves for a container now: empty once it has ended or been deleted. */
    record Current(BuildMetadata metadata, TokenProfile profile) {
    }

    /** One container's socket state: its bundle (for the init PID), its rate bucket, its pinned init. */
    static final class Served {
        private final String id;
        private final Path bundle;
        private final RateLimit rate;
        private volatile ProcessNamespaces.Init init;
        volatile TokenSockets.Listener listener;

        Served(String id, Path bundle, RateLimit rate) {
            this.id = id;
            this.bundle = bundle;
            this.rate = rate;
        }

        String id() {
            return id;
        }
    }

    private final TokenDelivery delivery;
    private final IdentitySource identity;
    private final AgentMetrics metrics;
    private final Function<Served, Optional<Current>> current;
    private final Optional<String> ownNamespace = ProcessNamespaces.own();

    TokenRequests(TokenDelivery delivery, IdentitySource identity, AgentMetrics metrics, Function<Served, Optional<Current>> current) {
        this.delivery = delivery;
        this.identity = identity;
        this.metrics = metrics;
        this.current = current;
    }

    /** A request's refusal: the code decides the status and the metric's reason. */
    private static final class Refused extends Exception {
        private final ErrorCode code;

        Refused(ErrorCode code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    record Request(List<String> audiences, Optional<Duration> lifetime) {
    }

    TokenSockets.Answer answer(Served s, int peerPid, String body) {
        long started = System.nanoTime();
        try {
            Request r = parse(body);
            Current c = current.apply(s).orElseThrow(() -> ended(s));
            checkCaller(s, peerPid);
            if (!s.rate.tryTake()) {
                TokenRequestPolicy p = c.profile().requests().orElseThrow();
                throw new Refused(ErrorCode.REQUEST_RATE_LIMITED, "container " + s.id + " asked for more than " + p.ratePerMinute()
                        + " tokens a minute (on_request.rate_per_minute); try again later");
            }
            TokenRequestPolicy policy = c.profile().requests().orElseThrow(() -> new Refused(ErrorCode.REQUEST_AUDIENCE_REFUSED,
                    "the profile of container " + s.id + " allows no token requests (no on_request)"));
            List<AudiencePattern> allowedBy = new ArrayList<>();
            for (String aud : r.audiences()) {
                allowedBy.add(policy.allowing(aud).orElseThrow(() -> new Refused(ErrorCode.REQUEST_AUDIENCE_REFUSED, "audience '"
                        + Printable.of(aud) + "' is not allowed for container " + s.id + " (on_request.audiences: "
                        + String.join(", ", policy.audiences().stream().map(AudiencePattern::toString).toList()) + ")")));
            }
            Duration lifetime = r.lifetime().orElse(policy.defaultLifetime());
            if (lifetime.compareTo(policy.maxTtl()) > 0) {
                throw new Refused(ErrorCode.REQUEST_LIFETIME_REFUSED, "lifetime " + Durations.format(lifetime) + " is over "
                        + Durations.format(policy.maxTtl()) + " (on_request.max_ttl)");
            }
            if (lifetime.compareTo(org.cijwt.claims.ClaimsPolicy.MIN_TTL) < 0) {
                throw new Refused(ErrorCode.REQUEST_LIFETIME_REFUSED, "lifetime " + Durations.format(lifetime)
                        + " is under the minimum 1m");
            }
            buildStillRuns(s, c);
            MintedToken m = delivery.mintOnRequest(c.metadata(), c.profile(), r.audiences(), lifetime);
            // The container may have ended while the token was signed: then it is not handed out.
            if (current.apply(s).isEmpty()) {
                throw ended(s);
            }
            metrics.requestIssued(allowedBy.stream().map(AudiencePattern::toString).toList(), System.nanoTime() - started);
            LOG.info("container {}: token issued on request: jti={} kid={} aud={} sub={} exp={}", s.id, m.jti(), m.kid(),
                    m.claims().getAudience(), m.claims().getSubject(), m.expiresAt().getEpochSecond());
            return new TokenSockets.Answer(200, AgentApi.JSON.createObjectNode().put("token", m.compact())
                    .put("expires_at", m.expiresAt().getEpochSecond()).toString());
        } catch (Refused e) {
            return refused(s, e.code, e.getMessage(), started);
        } catch (CiJwtException e) {
            return refused(s, e.code(), e.getMessage(), started);
        } catch (RuntimeException e) {
            LOG.error("container {}: answering a token request failed", s.id, e);
            metrics.requestRefused("internal", System.nanoTime() - started);
            return new TokenSockets.Answer(500, TokenSockets.error("internal", "internal error (" + e.getClass().getName()
                    + "); see the agent's log"));
        }
    }

    private TokenSockets.Answer refused(Served s, ErrorCode code, String message, long started) {
        metrics.requestRefused(reason(code), System.nanoTime() - started);
        if (code == ErrorCode.REQUEST_RATE_LIMITED) {
            LOG.debug("container {}: token request refused ({}): {}", s.id, code.id(), message);
        } else {
            LOG.info("container {}: token request refused ({}): {}", s.id, code.id(), message);
        }
        return new TokenSockets.Answer(status(code), TokenSockets.error(code.id(), message));
    }

    private static Refused ended(Served s) {
        return new Refused(ErrorCode.REQUEST_CONTAINER_ENDED, "container " + s.id + " has ended; the agent no longer serves it");
    }

    /**
     * The caller must be a live process in the container's PID namespace. The namespace is the one
     * of the container's init process (from its bundle), pinned by (PID, start time) at the first
     * request: while that process runs, its namespace's inode number is no other namespace's.
     */
    private void checkCaller(Served s, int peerPid) throws Refused {
        if (peerPid <= 0) {
            throw new Refused(ErrorCode.REQUEST_CALLER_REFUSED, "the caller is in a PID namespace the agent cannot see; refused");
        }
        ProcessNamespaces.Init init = s.init;
        if (init == null) {
            OptionalLong pid = ProcessNamespaces.initPid(s.bundle);
            if (pid.isEmpty()) {
                throw new Refused(ErrorCode.REQUEST_CALLER_REFUSED, "container " + s.id + "'s init process is not known (no "
                        + String.join(" or ", Agent.PID_FILES) + " in its bundle), so no caller can be checked against it");
            }
            init = ProcessNamespaces.capture(pid.getAsLong()).orElseThrow(() -> ended(s));
            if (ownNamespace.isEmpty() || ownNamespace.get().equals(init.pidNamespace())) {
                throw new Refused(ErrorCode.REQUEST_CALLER_REFUSED, "container " + s.id + " shares the agent's PID namespace,"
                        + " so its processes cannot be told from the host's; it gets no token on request");
            }
            s.init = init;
        }
        if (!init.running()) {
            throw ended(s);
        }
        Optional<String> ns = ProcessNamespaces.pidNamespaceOfLiveProcess(peerPid);
        if (ns.isEmpty()) {
            throw new Refused(ErrorCode.REQUEST_CALLER_REFUSED, "the caller (pid " + peerPid + ") has gone; refused");
        }
        if (!ns.get().equals(init.pidNamespace())) {
            throw new Refused(ErrorCode.REQUEST_CALLER_REFUSED, "the caller (pid " + peerPid + ") is not a process of container "
                    + s.id + "; refused");
        }
        // The init still running after the caller's namespace was read: that namespace was the container's then.
        if (!init.running()) {
            throw ended(s);
        }
    }

    private void buildStillRuns(Served s, Current c) throws Refused, CiJwtException {
        if (identity instanceof AnnotationIdentity) {
            return;
        }
        if (identity.buildEnded(c.metadata())) {
            throw new Refused(ErrorCode.REQUEST_CONTAINER_ENDED, "build " + c.metadata().buildId() + " of container " + s.id
                    + " has ended; no more tokens for it");
        }
    }

    /** The body: {@code {"audience": ["..."], "lifetime": "10m"}}, lifetime optional, nothing else. */
    static Request parse(String body) throws Refused {
        JsonNode node;
        try {
            node = body == null || body.isBlank() ? null : AgentApi.JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new Refused(ErrorCode.REQUEST_INVALID, "request body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new Refused(ErrorCode.REQUEST_INVALID, "request body must be a JSON object {\"audience\": [\"...\"], \"lifetime\"?: \"10m\"}");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new Refused(ErrorCode.REQUEST_INVALID, "unknown field '" + Printable.of(f) + "' (known: audience, lifetime)");
            }
        }
        JsonNode aud = node.get("audience");
        if (aud == null || !aud.isArray() || aud.isEmpty()) {
            throw new Refused(ErrorCode.REQUEST_INVALID, "audience must be a list of 1 to " + TokenRequestPolicy.MAX_AUDIENCES
                    + " strings");
        }
        if (aud.size() > TokenRequestPolicy.MAX_AUDIENCES) {
            throw new Refused(ErrorCode.REQUEST_INVALID, "audience has " + aud.size() + " entries; at most "
                    + TokenRequestPolicy.MAX_AUDIENCES);
        }
        Set<String> audiences = new LinkedHashSet<>();
        for (JsonNode a : aud) {
            if (!a.isTextual()) {
                throw new Refused(ErrorCode.REQUEST_INVALID, "audience must be a list of strings");
            }
            String problem = AudiencePattern.problem(a.asText());
            if (problem != null) {
                throw new Refused(ErrorCode.REQUEST_INVALID, problem);
            }
            if (!audiences.add(a.asText())) {
                throw new Refused(ErrorCode.REQUEST_INVALID, "audience '" + Printable.of(a.asText()) + "' is named twice");
            }
        }
        Optional<Duration> lifetime = Optional.empty();
        JsonNode l = node.get("lifetime");
        if (l != null) {
            if (!l.isTextual()) {
                throw new Refused(ErrorCode.REQUEST_INVALID, "lifetime must be a string such as \"10m\"");
            }
            try {
                lifetime = Optional.of(Durations.parse(l.asText()));
            } catch (Durations.DurationSyntaxException e) {
                throw new Refused(ErrorCode.REQUEST_INVALID, "lifetime: " + e.getMessage());
            }
        }
        return new Request(List.copyOf(audiences), lifetime);
    }

    static int status(ErrorCode code) {
        return switch (code) {
            case REQUEST_CALLER_REFUSED, REQUEST_AUDIENCE_REFUSED, CONFIG_NOT_VERIFIED -> 403;
            case REQUEST_RATE_LIMITED -> 429;
            case REQUEST_CONTAINER_ENDED -> 410;
            case CONCOURSE_UNAVAILABLE, KEY_SERVICE_FAILED, KEY_NOT_FOUND -> 503;
            default -> 400;
        };
    }

    /** The metric's reason: a few stable words, never anything the caller wrote. */
    static String reason(ErrorCode code) {
        return switch (code) {
            case REQUEST_INVALID -> "invalid";
            case REQUEST_CALLER_REFUSED -> "caller";
            case REQUEST_AUDIENCE_REFUSED -> "audience";
            case REQUEST_LIFETIME_REFUSED, POLICY_INVALID -> "lifetime";
            case REQUEST_RATE_LIMITED -> "rate";
            case REQUEST_CONTAINER_ENDED -> "ended";
            case CONFIG_NOT_VERIFIED -> "config";
            default -> "unavailable";
        };
    }
}
