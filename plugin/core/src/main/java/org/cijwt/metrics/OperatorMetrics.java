package org.cijwt.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.ReloadingKeyRing;
import org.cijwt.keys.SigningKey;

/**
 * What an operator's dashboards expect from every long-running ci-jwt process (the agent and
 * {@code serve}): JVM and process metrics from Micrometer's binders, build info, the crypto
 * provider, and the key ring's state: published keys, keys by state, the age of each signing key,
 * the time to the next rotation, whether it is degraded and how many reloads failed.
 */
public final class OperatorMetrics {
    public static final String BUILD_INFO = "cijwt.build.info";
    public static final String KEYS = "cijwt.keys";
    public static final String SIGNING_KEY_AGE = "cijwt.keys.signing.age";
    public static final String NEXT_ROTATION = "cijwt.keys.next.rotation";
    public static final String RELOAD_FAILURES = "cijwt.keys.reload.failures";
    public static final String DEGRADED = "cijwt.keys.degraded";
    public static final String PUBLISHED = "cijwt.keys.published";
    public static final String CRYPTO_PROVIDER = "cijwt.crypto.provider";
    /** The Content-Type of a Prometheus text scrape, for every /metrics route. */
    public static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final ReloadingKeyRing keys;
    private final MultiGauge byState;
    private final MultiGauge ages;
    private final Clock clock;

    private OperatorMetrics(ReloadingKeyRing keys, MultiGauge byState, MultiGauge ages, Clock clock) {
        this.keys = keys;
        this.byState = byState;
        this.ages = ages;
        this.clock = clock;
    }

    /** Binds everything to {@code registry}; {@code component} ({@code serve}, {@code agent}) labels build info. */
    public static OperatorMetrics bind(MeterRegistry registry, String component, ReloadingKeyRing keys, Clock clock) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);

        String version = Optional.ofNullable(OperatorMetrics.class.getPackage().getImplementationVersion()).orElse("development");
        Gauge.builder(BUILD_INFO, () -> 1).description("Always 1; the labels say which ci-jwt runs")
                .tags("version", version, "component", component, "java", System.getProperty("java.version", "?"))
                .register(registry);

        MultiGauge byState = MultiGauge.builder(KEYS).description("Keys in the ring by algorithm and state: signing, published (ahead of signing or retiring)")
                .register(registry);
        MultiGauge ages = MultiGauge.builder(SIGNING_KEY_AGE).description("Seconds since each signing key started to sign")
                .baseUnit("seconds").register(registry);
        Gauge.builder(NEXT_ROTATION, keys, k -> nextRotation(k.get(), clock).map(Duration::toSeconds).orElse(-1L))
                .description("Seconds until a published key starts to sign (-1: none scheduled)").baseUnit("seconds")
                .register(registry);
        Gauge.builder(PUBLISHED, keys, k -> k.get().publishedKeys().size()).description("Keys in the published JWKS")
                .register(registry);
        Gauge.builder(DEGRADED, keys, k -> k.degraded() ? 1 : 0)
                .description("1 while a key source failed to reload and its last good keys are served, else 0").register(registry);
        FunctionCounter.builder(RELOAD_FAILURES, keys, ReloadingKeyRing::failedReloads)
                .description("Reloads of a key source that failed").register(registry);
        Gauge.builder(CRYPTO_PROVIDER, () -> 1).tag("provider", CryptoProvider.active().name())
                .description("The crypto provider signatures run on, chosen once at start-up (value 1)").register(registry);
        OperatorMetrics m = new OperatorMetrics(keys, byState, ages, clock);
        m.beforeScrape();
        return m;
    }

    /** Brings the per-key rows up to date with the current ring; call before each scrape. */
    public void beforeScrape() {
        KeyRing ring = keys.get();
        List<MultiGauge.Row<?>> states = new ArrayList<>();
        List<MultiGauge.Row<?>> age = new ArrayList<>();
        Instant now = clock.instant();
        for (SigningAlgorithm alg : SigningAlgorithm.values()) {
            Optional<SigningKey> signer = ring.signer(alg);
            long published = ring.publishedKeys().stream().filter(k -> k.entry().algorithm() == alg).count();
            long signing = signer.isPresent() ? 1 : 0;
            states.add(MultiGauge.Row.of(Tags.of("algorithm", alg.jwaName(), "state", "signing"), signing));
            states.add(MultiGauge.Row.of(Tags.of("algorithm", alg.jwaName(), "state", "published_only"), published - signing));
            signer.ifPresent(s -> {
                Instant since = s.entry().notBefore() == null ? now : s.entry().notBefore();
                age.add(MultiGauge.Row.of(Tags.of("algorithm", alg.jwaName(), "kid", s.kid()),
                        Math.max(0, Duration.between(since, now).toSeconds())));
            });
        }
        byState.register(states, true);
        ages.register(age, true);
    }

    /** How long until the earliest published key that does not sign yet takes over. */
    static Optional<Duration> nextRotation(KeyRing ring, Clock clock) {
        Instant now = clock.instant();
        return ring.publishedKeys().stream().map(KeyRing.PublishedKey::entry).map(KeyEntry::notBefore)
                .filter(t -> t != null && t.isAfter(now)).min(Instant::compareTo).map(t -> Duration.between(now, t));
    }
}
