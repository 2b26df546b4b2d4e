package org.cijwt.agent;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.cijwt.errors.ErrorCode;

/** The agent's own metrics: containers live, tokens minted, refreshed and failed, and latency histograms. */
public final class AgentMetrics {
    public static final String CONTAINERS = "cijwt.agent.containers";
    public static final String TOKENS = "cijwt.agent.tokens";
    public static final String CREATE = "cijwt.agent.create";
    public static final String DELETE = "cijwt.agent.delete";
    public static final String REFRESH = "cijwt.agent.refresh";
    public static final String REFUSED = "cijwt.agent.create.refused";
    /** Creates answered "not managed": the identity source left the container alone. */
    public static final String UNMANAGED = "cijwt.agent.create.unmanaged";
    /** Tokens issued on a container's request, by the allow-list entry that allowed each audience (bounded, unlike what is asked). */
    public static final String REQUESTS_ISSUED = "cijwt.agent.requests.issued";
    /** Token requests refused, by reason: invalid, caller, audience, lifetime, rate, ended, config, unavailable, internal. */
    public static final String REQUESTS_REFUSED = "cijwt.agent.requests.refused";
    /** Time to answer a token request, issued or refused. */
    public static final String REQUEST = "cijwt.agent.request";

    private final MeterRegistry registry;
    private final Counter minted;
    private final Counter refreshed;
    private final Counter failed;
    private final Timer create;
    private final Timer delete;
    private final Timer refresh;
    private final Timer unmanaged;
    private final Map<ErrorCode, Counter> refusals = new ConcurrentHashMap<>();
    private final Map<String, Counter> issuedByAudience = new ConcurrentHashMap<>();
    private final Map<String, Counter> requestRefusals = new ConcurrentHashMap<>();
    private final Timer request;

    public AgentMetrics(MeterRegistry registry, Supplier<Number> liveContainers) {
        this.registry = registry;
        Gauge.builder(CONTAINERS, liveContainers).description("Containers the agent delivered to and refreshes").register(registry);
        minted = Counter.builder(TOKENS).tag("event", "minted").description("Tokens by event").register(registry);
        refreshed = Counter.builder(TOKENS).tag("event", "refreshed").description("Tokens by event").register(registry);
        failed = Counter.builder(TOKENS).tag("event", "refresh_failed").description("Tokens by event").register(registry);
        create = Timer.builder(CREATE).description("POST /v1/containers, delivered").publishPercentileHistogram().register(registry);
        delete = Timer.builder(DELETE).description("DELETE /v1/containers/{id}").publishPercentileHistogram().register(registry);
        unmanaged = Timer.builder(UNMANAGED).description("POST /v1/containers, not managed").register(registry);
        request = Timer.builder(REQUEST).description("Answering POST /v1/tokens on a container's socket").publishPercentileHistogram()
                .register(registry);
        refresh = Timer.builder(REFRESH).description("Rewriting one container's tokens").publishPercentileHistogram().register(registry);
    }

    Timer.Sample startCreate() {
        return Timer.start(registry);
    }

    Timer.Sample startDelete() {
        return Timer.start(registry);
    }

    void created(Timer.Sample sample) {
        sample.stop(create);
    }

    void createUnmanaged(Timer.Sample sample) {
        sample.stop(unmanaged);
    }

    void createRefused(Timer.Sample sample, ErrorCode code) {
        sample.stop(Timer.builder(CREATE + ".refused.latency").register(registry));
        refusals.computeIfAbsent(code, c -> Counter.builder(REFUSED).tag("code", c.id())
                .description("Creates refused, by error code").register(registry)).increment();
    }

    void deleted(Timer.Sample sample) {
        sample.stop(delete);
    }

    public void tokensMinted(int n) {
        minted.increment(n);
    }

    public void tokensRefreshed(int n, long nanos) {
        refreshed.increment(n);
        refresh.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void requestIssued(java.util.List<String> allowListEntries, long nanos) {
        request.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        minted.increment();
        allowListEntries.forEach(a -> issuedByAudience.computeIfAbsent(a, x -> Counter.builder(REQUESTS_ISSUED).tag("audience", x)
                .description("Tokens issued on request, by allow-list entry").register(registry)).increment());
    }

    void requestRefused(String reason, long nanos) {
        request.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        requestRefusals.computeIfAbsent(reason, r -> Counter.builder(REQUESTS_REFUSED).tag("reason", r)
                .description("Token requests refused, by reason").register(registry)).increment();
    }

    public void refreshFailed() {
        failed.increment();
    }
}
