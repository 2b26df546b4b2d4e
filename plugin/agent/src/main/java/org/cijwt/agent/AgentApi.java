package org.cijwt.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.cijwt.delivery.ContainerId;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;
import org.cijwt.metrics.OperatorMetrics;

/**
 * The agent's HTTP/JSON API on its Unix socket: {@code POST /v1/containers},
 * {@code DELETE /v1/containers/{id}} (with {@code ?if=stopped}: only once its init process ended), {@code GET /v1/containers}, {@code /healthz},
 * {@code /readyz}, {@code /metrics}. Requests are checked here, at the edge; signing and file work
 * run on worker threads, never on the event loop. A client error is a 4xx with
 * {@code {"code", "error"}}; a 500 means a bug.
 */
public final class AgentApi {
    /** Container ids as runc accepts them. */
    static final int MAX_BODY_BYTES = 256 * 1024;
    /** Sent with {@code false} beside a create's {@code "managed": false}, for clients that read no JSON. */
    static final String MANAGED_HEADER = "CI-JWT-Managed";
    private static final Set<String> CREATE_FIELDS = Set.of("id", "bundle", "metadata", "profile");
    /**
     * Duplicate keys refused; numbers kept digit for digit (as BuildMetadata reads a metadata file),
     * so the agent accepts exactly what {@code mint} and {@code preflight} accept, with the same values.
     */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private final ContainerService service;
    private final AgentMetrics metrics;
    private final PrometheusMeterRegistry registry;
    private final OperatorMetrics operator;

    public AgentApi(ContainerService service, AgentMetrics metrics, PrometheusMeterRegistry registry, OperatorMetrics operator) {
        this.service = service;
        this.metrics = metrics;
        this.registry = registry;
        this.operator = operator;
    }

    /** Starts listening on {@code socket}, a Unix domain socket path. */
    public Future<HttpServer> listen(Vertx vertx, Path socket) {
        return vertx.createHttpServer().requestHandler(router(vertx)).listen(SocketAddress.domainSocketAddress(socket.toString()));
    }

    Router router(Vertx vertx) {
        Router r = Router.router(vertx);
        r.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        r.post("/v1/containers").handler(ctx -> create(vertx, ctx));
        r.delete("/v1/containers/:id").handler(ctx -> delete(vertx, ctx));
        r.get("/v1/containers").handler(ctx -> list(vertx, ctx));
        r.get("/healthz").handler(ctx -> json(ctx, 200, JSON.createObjectNode().put("status", "ok")));
        r.get("/readyz").handler(ctx -> {
            Optional<String> why = service.notReady();
            ObjectNode body = JSON.createObjectNode().put("status", why.isEmpty() ? "ready" : "not_ready");
            why.ifPresent(w -> body.put("reason", w));
            json(ctx, why.isEmpty() ? 200 : 503, body);
        });
        r.get("/metrics").handler(ctx -> vertx.executeBlocking(() -> {
            operator.beforeScrape();
            return registry.scrape();
        }, false).onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, OperatorMetrics.PROMETHEUS_CONTENT_TYPE).end(ar.result());
            } else {
                internal(ctx, ar.cause());
            }
        }));
        r.route().last().handler(ctx -> error(ctx, 404, "not_found", "no such endpoint: " + ctx.request().method() + " "
                + ctx.normalizedPath()));
        r.errorHandler(405, ctx -> error(ctx, 405, "method_not_allowed", "method not allowed"));
        r.errorHandler(413, ctx -> error(ctx, 413, ErrorCode.REQUEST_INVALID.id(), "request body over " + MAX_BODY_BYTES + " bytes"));
        r.errorHandler(500, ctx -> internal(ctx, ctx.failure()));
        return r;
    }

    private void create(Vertx vertx, RoutingContext ctx) {
        Timer.Sample sample = metrics.startCreate();
        ContainerService.CreateRequest request;
        try {
            request = parseCreate(ctx.body().asString());
        } catch (CiJwtException e) {
            metrics.createRefused(sample, e.code());
            refused(ctx, e);
            return;
        }
        blocking(vertx, ctx, () -> service.create(request), created -> {
            if (created instanceof ContainerService.Delivered d) {
                metrics.created(sample);
                json(ctx, 201, describe(d.container()));
            } else if (created instanceof ContainerService.Unmanaged u) {
                metrics.createUnmanaged(sample);
                // The runtime wrapper's fast path reads this header rather than the JSON (docs/agent.md).
                ctx.response().putHeader(MANAGED_HEADER, "false");
                json(ctx, 200, JSON.createObjectNode().put("id", u.id()).put("managed", false).put("reason", u.reason()));
            }
        }, e -> metrics.createRefused(sample, e.code()));
    }

    private void delete(Vertx vertx, RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!ContainerId.isValid(id)) {
            refused(ctx, new CiJwtException(ErrorCode.REQUEST_INVALID, "container id is not a runc container id"));
            return;
        }
        List<String> conditions = ctx.queryParam("if");
        boolean ifStopped = conditions.equals(List.of("stopped"));
        if (!conditions.isEmpty() && !ifStopped) {
            refused(ctx, new CiJwtException(ErrorCode.REQUEST_INVALID, "the only condition of a delete is if=stopped"));
            return;
        }
        Timer.Sample sample = metrics.startDelete();
        blocking(vertx, ctx, () -> ifStopped ? service.deleteIfStopped(id) : service.delete(id), known -> {
            metrics.deleted(sample);
            if (known) {
                ctx.response().setStatusCode(204).end();
            } else {
                refused(ctx, new CiJwtException(ErrorCode.CONTAINER_UNKNOWN, "no delivery for container " + id));
            }
        }, Then.nothing());
    }

    private void list(Vertx vertx, RoutingContext ctx) {
        blocking(vertx, ctx, service::list, containers -> {
            ArrayNode all = JSON.createArrayNode();
            containers.forEach(c -> all.add(describe(c)));
            json(ctx, 200, JSON.createObjectNode().set("containers", all));
        }, Then.nothing());
    }

    private interface Then<T> {
        void accept(T value);

        static <T> Then<T> nothing() {
            return value -> {
                // Nothing more to count for this route.
            };
        }
    }

    private <T> void blocking(Vertx vertx, RoutingContext ctx, Callable<T> work, Then<T> ok, Then<CiJwtException> onRefused) {
        vertx.executeBlocking(work, false).onComplete(ar -> {
            if (ar.succeeded()) {
                ok.accept(ar.result());
            } else if (ar.cause() instanceof CiJwtException e) {
                onRefused.accept(e);
                refused(ctx, e);
            } else {
                internal(ctx, ar.cause());
            }
        });
    }

    /**
     * The create body: exactly the fields the design names, of the right types; {@code metadata}
     * may be left out where the identity source does not take it from the caller.
     */
    static ContainerService.CreateRequest parseCreate(String body) throws CiJwtException {
        JsonNode node;
        try {
            node = body == null || body.isBlank() ? null : JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new CiJwtException(ErrorCode.REQUEST_INVALID, "request body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new CiJwtException(ErrorCode.REQUEST_INVALID, "request body must be a JSON object {\"id\", \"bundle\", \"metadata\", \"profile\"?}");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!CREATE_FIELDS.contains(f)) {
                throw new CiJwtException(ErrorCode.REQUEST_INVALID, "unknown field '" + Printable.of(f) + "' (known: id, bundle, metadata, profile)");
            }
        }
        String id = text(node, "id");
        if (!ContainerId.isValid(id)) {
            throw new CiJwtException(ErrorCode.REQUEST_INVALID, "id is not a runc container id (letters, digits, _ . + -; at most "
                    + ContainerId.MAX_LENGTH + ")");
        }
        String bundle = text(node, "bundle");
        Path path = Path.of(bundle);
        if (!path.isAbsolute() || !path.normalize().equals(path)) {
            throw new CiJwtException(ErrorCode.REQUEST_INVALID, "bundle must be an absolute, normalised path");
        }
        JsonNode metadata = node.get("metadata");
        if (metadata != null && !metadata.isObject()) {
            throw new CiJwtException(ErrorCode.REQUEST_INVALID, "metadata must be a JSON object of build metadata");
        }
        Optional<String> profile = node.has("profile") ? Optional.of(text(node, "profile")) : Optional.empty();
        return new ContainerService.CreateRequest(id, path, Optional.ofNullable(metadata), profile);
    }

    private static String text(JsonNode node, String field) throws CiJwtException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw new CiJwtException(ErrorCode.REQUEST_INVALID, field + " must be a non-empty string");
        }
        return v.asText();
    }

    static ObjectNode describe(ContainerService.Container c) {
        ObjectNode o = JSON.createObjectNode().put("id", c.id()).put("bundle", c.bundle().toString()).put("profile", c.profile());
        ArrayNode tokens = o.putArray("tokens");
        c.tokens().forEach(t -> tokens.addObject().put("name", t.name()).put("kid", t.kid()).put("alg", t.algorithm())
                .put("expires_at", t.expiresAt().toString()));
        c.nextRefresh().ifPresent(n -> o.put("next_refresh", n.toString()));
        return o;
    }

    /**
     * A refusal's status: 4xx for what the request asked, 503 for what the agent could not do then (a
     * full or failing disk, a key service or Concourse that does not answer, the agent's own Concourse
     * login): the caller did nothing wrong, and the same request may succeed later.
     */
    static int status(ErrorCode code) {
        return switch (code) {
            case CONTAINER_CONFLICT, CONTAINER_RUNNING, TOKEN_DIR_REFUSED -> 409;
            case CONTAINER_UNKNOWN -> 404;
            case KEY_SERVICE_FAILED, KEY_NOT_FOUND, DELIVERY_FAILED, IO_FAILED, CONCOURSE_UNAVAILABLE, CONCOURSE_LOGIN_REFUSED,
                    CONCOURSE_PASSWORD_FILE -> 503;
            default -> 400;
        };
    }

    private static void refused(RoutingContext ctx, CiJwtException e) {
        error(ctx, status(e.code()), e.code().id(), e.getMessage());
    }

    private static void internal(RoutingContext ctx, Throwable cause) {
        org.slf4j.LoggerFactory.getLogger(AgentApi.class).error("internal error answering {} {}", ctx.request().method(),
                ctx.normalizedPath(), cause);
        error(ctx, 500, "internal", "internal error (" + (cause == null ? "unknown" : cause.getClass().getName()) + "); see the agent's log");
    }

    private static void error(RoutingContext ctx, int status, String code, String message) {
        json(ctx, status, JSON.createObjectNode().put("code", code).put("error", message));
    }

    private static void json(RoutingContext ctx, int status, JsonNode body) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.toString());
    }

}
