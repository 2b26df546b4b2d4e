package org.cijwt.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.delivery.DeliveryRecord;
import org.cijwt.delivery.DeliveryRecords;
import org.cijwt.delivery.TokenDelivery;
import org.cijwt.delivery.TokenProfile;
import org.cijwt.delivery.RefreshScheduler;
import org.cijwt.delivery.DeliveryException;
import org.cijwt.delivery.TokenAccess;
import org.cijwt.delivery.TokenDirectory;
import org.cijwt.delivery.TokenRefresher;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.PrivateDirectories;
import org.cijwt.io.SecureFiles;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyRing;
import org.cijwt.signedconfig.ConfigVerifier;
import org.cijwt.tokens.MintedToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker agent: one process per worker that delivers every container's tokens (the same
 * delivery as {@code ci-jwt preflight}), refreshes all of them on one scheduler, cleans up after
 * containers whose init process has gone, and after a restart adopts the live containers from
 * its own records (never from what a bundle says).
 *
 * <p>State directory: {@code deliveries/} (the pre-flight delivery records), {@code containers/}
 * (what is needed to refresh: bundle, profile, metadata) and {@code tokens/<id>/} (the token
 * directories the containers mount, with the container's {@code token.sock} where its profile
 * sets {@code on_request}: see {@link TokenRequests}).
 */
public final class Agent implements ContainerService, AutoCloseable {
    /** How often containers are checked for a gone init process. */
    public static final Duration REAP_INTERVAL = Duration.ofSeconds(10);
    /** Refreshes are spread over this share of the lifetime before the 80 % mark. */
    public static final int JITTER_PERCENT = 10;
    /**
     * A jump of the wall clock larger than this between two checks, measured against the monotonic
     * clock, has every live container's tokens minted again at once.
     */
    public static final Duration CLOCK_STEP = Duration.ofSeconds(5);
    /** Where runtimes leave a container's init pid in its bundle: containerd, Docker ({@code init.pid}), Podman ({@code pidfile}). */
    static final List<String> PID_FILES = List.of("init.pid", "pidfile");

    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    private static final String KEY_PREFIX = "container:";

    private final Supplier<KeyRing> keys;
    private final Clock clock;
    private final java.util.function.LongSupplier monotonic;
    private final AgentConfig config;
    private final DeliveryRecords deliveries;
    private final ContainerRecords records;
    private final Path tokensRoot;
    private final TokenDelivery delivery;
    private final RefreshScheduler scheduler;
    private final AgentMetrics metrics;
    private final IdentitySource identity;
    private final ConcurrentMap<String, Live> live = new ConcurrentHashMap<>();
    /** Token sockets, one per live container whose profile sets {@code on_request}; null when no profile does. */
    private final TokenSockets sockets;
    private final TokenRequests requests;
    private final ConcurrentMap<String, TokenRequests.Served> served = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile java.util.concurrent.ScheduledExecutorService buildWatch;
    /** The wall and monotonic clocks at the last check (on the scheduler's thread only). */
    private Instant lastWall;
    private long lastMonotonic;

    /** A container being served; {@code refresher} is null while its create is in progress. */
    private record Live(ContainerRecords.Entry entry, BuildMetadata metadata, TokenProfile profile, TokenRefresher refresher) {
    }

    private Agent(Builder b, DeliveryRecords deliveries, ContainerRecords records, Path tokensRoot, TokenSockets sockets) {
        this.keys = b.keys;
        this.clock = b.clock;
        this.monotonic = b.monotonic;
        this.config = b.config;
        this.deliveries = deliveries;
        this.records = records;
        this.tokensRoot = tokensRoot;
        this.scheduler = b.scheduler;
        this.identity = b.identity;
        this.delivery = new TokenDelivery(keys, clock, deliveries, b.verifier);
        this.metrics = new AgentMetrics(b.registry, live::size);
        this.sockets = sockets;
        this.requests = new TokenRequests(delivery, identity, metrics, this::serving);
    }

    /** What a container's socket may mint for: its live entry, while this socket is still its socket. */
    private Optional<TokenRequests.Current> serving(TokenRequests.Served s) {
        if (closed || served.get(s.id()) != s) {
            return Optional.empty();
        }
        Live l = live.get(s.id());
        if (l == null || l.refresher() == null) {
            return Optional.empty();
        }
        return Optional.of(new TokenRequests.Current(l.metadata(), l.profile()));
    }

    /** Opens the container's token socket when its profile sets {@code on_request}. */
    private void openSocket(String id, Path bundle, TokenDirectory directory, TokenProfile profile) throws IOException {
        Optional<org.cijwt.delivery.TokenRequestPolicy> policy = profile.requests();
        if (policy.isEmpty() || sockets == null) {
            return;
        }
        TokenRequests.Served s = new TokenRequests.Served(id, bundle, new RateLimit(clock, policy.get().ratePerMinute()));
        s.listener = sockets.open(id, directory, (cid, pid, body) -> requests.answer(s, pid, body));
        TokenRequests.Served before = served.put(id, s);
        if (before != null && before.listener != null) {
            before.listener.close();
        }
    }

    /** Closes the container's token socket, cutting every open connection: nothing more is minted for it. */
    private void closeSocket(String id) {
        TokenRequests.Served s = served.remove(id);
        if (s != null && s.listener != null) {
            int open = s.listener.openConnections();
            s.listener.close();
            LOG.info("container {}: token socket closed ({} open connection(s) cut)", id, open);
        }
    }

    /**
     * An agent that signs with {@code keys}, serves the profiles of {@code config} and keeps its
     * state in {@code stateDir}; by default with the system clock, a daemon refresh thread, a
     * private meter registry, no signed-config check and the {@code annotation} identity source.
     */
    public static Builder builder(Supplier<KeyRing> keys, AgentConfig config, Path stateDir) {
        return new Builder(keys, config, stateDir);
    }

    /** How an {@link Agent} is put together; {@link #start()} makes it. */
    public static final class Builder {
        private final Supplier<KeyRing> keys;
        private final AgentConfig config;
        private final Path stateDir;
        private Clock clock = Clock.systemUTC();
        private java.util.function.LongSupplier monotonic = System::nanoTime;
        private RefreshScheduler scheduler;
        private io.micrometer.core.instrument.MeterRegistry registry;
        private ConfigVerifier verifier;
        private IdentitySource identity = new AnnotationIdentity();
        private Path tokenClient;

        private Builder(Supplier<KeyRing> keys, AgentConfig config, Path stateDir) {
            this.keys = java.util.Objects.requireNonNull(keys, "keys");
            this.config = java.util.Objects.requireNonNull(config, "config");
            this.stateDir = java.util.Objects.requireNonNull(stateDir, "stateDir");
        }

        /** Dates tokens and schedules refreshes (tests inject a clock of their own). */
        public Builder clock(Clock value) {
            this.clock = java.util.Objects.requireNonNull(value, "clock");
            return this;
        }

        /** The monotonic clock, in nanoseconds, that wall-clock steps are told by (tests inject one). */
        public Builder monotonic(java.util.function.LongSupplier value) {
            this.monotonic = java.util.Objects.requireNonNull(value, "monotonic");
            return this;
        }

        public Builder scheduler(RefreshScheduler value) {
            this.scheduler = java.util.Objects.requireNonNull(value, "scheduler");
            return this;
        }

        public Builder registry(io.micrometer.core.instrument.MeterRegistry value) {
            this.registry = java.util.Objects.requireNonNull(value, "registry");
            return this;
        }

        /**
         * The static {@code ci-jwt-runtime} binary to put beside each token socket ({@link TokenClient}); null (the
         * default) for none.
         */
        public Builder tokenClient(Path value) {
            this.tokenClient = value;
            return this;
        }

        /** The signed-config check; null (the default) when no author keys are pinned. */
        public Builder verifier(ConfigVerifier value) {
            this.verifier = value;
            return this;
        }

        public Builder identity(IdentitySource value) {
            this.identity = java.util.Objects.requireNonNull(value, "identity");
            return this;
        }

        /**
         * Opens the state directory (0700, refused when others can write it), undoes deliveries a
         * crash left half-done, cleans up after containers that are gone, and resumes refreshing
         * the others.
         */
        public Agent start() throws CiJwtException {
            if (scheduler == null) {
                scheduler = RefreshScheduler.daemonThread();
            }
            if (registry == null) {
                registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            }
            Path tokens = stateDir.resolve("tokens");
            DeliveryRecords deliveries = DeliveryRecords.open(stateDir.resolve("deliveries"));
            ContainerRecords records = ContainerRecords.open(stateDir.resolve("containers"));
            try {
                PrivateDirectories.ensure(tokens);
            } catch (IOException e) {
                throw new CiJwtException(ErrorCode.IO_FAILED, "agent token root " + tokens + " cannot be created: " + SecureFiles.reason(e));
            }
            boolean requests = config.profiles().values().stream().anyMatch(p -> p.requests().isPresent());
            Path client = null;
            if (tokenClient != null && requests) {
                client = TokenClient.install(tokenClient, stateDir.resolve("client"), tokens);
            } else if (tokenClient != null) {
                LOG.warn("--token-client {}: unused, no profile sets on_request", tokenClient);
            }
            TokenSockets sockets = requests ? TokenSockets.start(client) : null;
            Agent agent = new Agent(this, deliveries, records, tokens, sockets);
            agent.recover();
            agent.lastWall = agent.clock.instant();
            agent.lastMonotonic = agent.monotonic.getAsLong();
            agent.scheduleReaper();
            agent.watchBuilds();
            return agent;
        }
    }

    /**
     * Runs a worker agent process: keys (reloaded every two seconds), the agent, and its API on
     * the settings' Unix socket (0660, in a directory others cannot write). The caller keeps the
     * process until it closes it or calls {@link AgentProcess#awaitShutdown()}.
     */
    public static AgentProcess run(AgentSettings settings) throws CiJwtException {
        return AgentProcess.start(settings);
    }

    public AgentMetrics metrics() {
        return metrics;
    }

    @Override
    public Created create(CreateRequest asked) throws CiJwtException {
        IdentitySource.Completed completed = identity.complete(asked);
        CreateRequest request = completed.request();
        TokenProfile profile = config.profile(request.profile());
        IdentitySource.Identity who = identity.identify(request);
        if (who instanceof IdentitySource.NotManaged not) {
            LOG.info("container {}: not managed ({})", request.id(), not.reason());
            return new Unmanaged(request.id(), not.reason());
        }
        JsonNode claimed = ((IdentitySource.Build) who).metadata();
        BuildMetadata metadata = BuildMetadata.fromJson(claimed.toString(), "metadata of container " + request.id());
        String id = request.id();
        ContainerRecords.Entry entry = new ContainerRecords.Entry(id, request.bundle(), config.profileName(request.profile()),
                claimed, tokensRoot.resolve(id), null, ContainerRecords.BOOT_ID);
        if (live.putIfAbsent(id, new Live(entry, metadata, profile, null)) != null) {
            throw new CiJwtException(ErrorCode.CONTAINER_CONFLICT, "container " + id + " already has a delivery; delete it first");
        }
        boolean done = false;
        try {
            for (Live other : live.values()) {
                if (!other.entry().id().equals(id) && other.entry().bundle().equals(request.bundle())) {
                    throw new CiJwtException(ErrorCode.CONTAINER_CONFLICT, "bundle " + request.bundle()
                            + " is already delivered to, as container " + other.entry().id());
                }
            }
            String key = DeliveryRecords.containerKey(id);
            if (deliveries.find(key).isPresent()) {
                throw new CiJwtException(ErrorCode.CONTAINER_CONFLICT, "container " + id + " has a recorded delivery; delete it first");
            }
            TokenDelivery.Delivery delivered = delivery.deliver(key, metadata, profile, entry.tokenDirectory(), request.bundle(),
                    completed.spec());
            // The delivered metadata carries the config check's outcome; refreshes and a restart keep it.
            entry = entry.withConfig(delivered.metadata().config());
            try {
                records.put(entry);
            } catch (CiJwtException e) {
                TokenDelivery.cleanup(deliveries, key);
                throw e;
            }
            try {
                openSocket(id, request.bundle(), delivered.directory(), profile);
            } catch (IOException e) {
                closeSocket(id);
                TokenDelivery.cleanup(deliveries, key);
                records.remove(id);
                throw new CiJwtException(ErrorCode.DELIVERY_FAILED, "container " + id + ": its token socket cannot be opened: "
                        + SecureFiles.reason(e));
            }
            delivered.warnings().forEach(w -> LOG.warn("container {}: {}", id, w.message()));
            TokenRefresher refresher = refresher(delivered.directory(), delivered.metadata(), profile, id);
            refresher.start(delivered.tokens());
            live.put(id, new Live(entry, delivered.metadata(), profile, refresher));
            metrics.tokensMinted(delivered.tokens().size());
            done = true;
            LOG.info("container {}: delivered {} token(s) into {}", id, delivered.tokens().size(), request.bundle());
            return new Delivered(describe(entry, refresher));
        } finally {
            if (!done) {
                live.remove(id);
            }
        }
    }

    @Override
    public boolean delete(String id) throws CiJwtException {
        Live l = live.get(id);
        if (l == null || l.refresher() != null) {
            // First the socket: a request answered from now on finds the container gone.
            closeSocket(id);
        }
        l = live.remove(id);
        if (l != null && l.refresher() == null) {
            // Its create is still running: put it back, the caller deletes again once the create answered.
            live.put(id, l);
            throw new CiJwtException(ErrorCode.CONTAINER_CONFLICT, "container " + id + " is still being created");
        }
        if (l != null) {
            l.refresher().close();
        }
        String key = DeliveryRecords.containerKey(id);
        boolean recorded = deliveries.find(key).isPresent();
        TokenDelivery.Cleanup cleanup = TokenDelivery.cleanup(deliveries, key);
        cleanup.warnings().forEach(w -> LOG.warn("container {}: {}", id, w));
        records.remove(id);
        if (l != null || recorded) {
            LOG.info("container {}: tokens removed and config.json reverted", id);
            return true;
        }
        return false;
    }

    @Override
    public boolean deleteIfStopped(String id) throws CiJwtException {
        Live l = live.get(id);
        // Once ended, an init process does not run again (runc starts only a created container):
        // the check cannot be outrun by the container, only by a pid handed to a new process,
        // which reads as running and leaves the tokens to the wrapper's plain delete.
        if (l != null && alive(l.entry().bundle())) {
            throw new CiJwtException(ErrorCode.CONTAINER_RUNNING, "container " + id + " still runs (its init process is alive)");
        }
        return delete(id);
    }

    @Override
    public List<Container> list() {
        List<Container> out = new ArrayList<>();
        live.values().stream().filter(l -> l.refresher() != null).forEach(l -> out.add(describe(l.entry(), l.refresher())));
        return out;
    }

    @Override
    public Optional<String> notReady() {
        if (closed) {
            return Optional.of("the agent is stopping");
        }
        Set<SigningAlgorithm> needed = EnumSet.noneOf(SigningAlgorithm.class);
        config.profiles().values().forEach(p -> needed.addAll(p.algorithms()));
        KeyRing ring = keys.get();
        for (SigningAlgorithm alg : needed) {
            if (ring.signer(alg).isEmpty()) {
                return Optional.of("no signing key for " + alg + ", which a profile needs");
            }
        }
        return Optional.empty();
    }

    /** Live containers served now. */
    public int liveContainers() {
        return live.size();
    }

    private TokenRefresher refresher(TokenDirectory directory, BuildMetadata metadata, TokenProfile profile, String id) {
        // A refresh is mint, then write, then refreshed(), all on the scheduler thread under the
        // refresher's lock: the time from the mint's start to refreshed() is the refresh's own work.
        long[] started = new long[1];
        TokenRefresher.Minter again = name -> {
            started[0] = System.nanoTime();
            return delivery.refresh(metadata, profile.token(name)
                    .orElseThrow(() -> new IllegalStateException("no configured token named " + name)));
        };
        TokenRefresher.Listener listener = new TokenRefresher.Listener() {
            @Override
            public void refreshed(String name, MintedToken token) {
                metrics.tokensRefreshed(1, System.nanoTime() - started[0]);
                LOG.debug("container {}: refreshed token {} ({})", id, name, token);
            }

            @Override
            public void failed(String name, String reason, Duration retryIn) {
                metrics.refreshFailed();
                LOG.warn("container {}: refreshing token {} failed: {}; retrying in {}s", id, name, reason, retryIn.toSeconds());
            }
        };
        return new TokenRefresher(directory, again, clock, RefreshScheduler.sharing(scheduler), listener,
                TokenRefresher.Timing.jittered(JITTER_PERCENT));
    }

    private static Container describe(ContainerRecords.Entry e, TokenRefresher refresher) {
        List<TokenInfo> tokens = new ArrayList<>();
        Optional<Instant> next = Optional.empty();
        for (Map.Entry<String, MintedToken> t : refresher.current().entrySet()) {
            MintedToken m = t.getValue();
            tokens.add(new TokenInfo(t.getKey(), m.kid(), m.algorithm().jwaName(), m.expiresAt()));
            Optional<Instant> at = refresher.nextRefresh(t.getKey());
            if (at.isPresent() && (next.isEmpty() || at.get().isBefore(next.get()))) {
                next = at;
            }
        }
        return new Container(e.id(), e.bundle(), e.profile(), tokens, next);
    }

    /** After a restart: finish or undo what a crash left, forget what is gone, resume the rest. */
    private void recover() throws CiJwtException {
        Map<String, ContainerRecords.Entry> known = new HashMap<>();
        for (ContainerRecords.Entry e : records.all()) {
            known.put(e.id(), e);
        }
        Map<String, DeliveryRecord> delivered = new LinkedHashMap<>();
        for (DeliveryRecord r : deliveries.all()) {
            String id = r.key().startsWith(KEY_PREFIX) ? r.key().substring(KEY_PREFIX.length()) : null;
            if (id == null || !known.containsKey(id) || r.status() == DeliveryRecord.Status.PENDING) {
                // Never answered with 201, so the container never started with these files: undo it.
                LOG.warn("undoing the unfinished delivery {} left by an earlier run", r.key());
                removeSocketFiles(r);
                TokenDelivery.cleanup(deliveries, r.key());
            } else {
                delivered.put(id, r);
            }
        }
        for (ContainerRecords.Entry e : known.values()) {
            DeliveryRecord r = delivered.get(e.id());
            if (r == null) {
                records.remove(e.id());
            } else if (e.fromAnEarlierBoot() || !alive(e.bundle())) {
                // After a reboot the pid in a bundle kept on disk may name some other process by now.
                LOG.info("container {}: gone while the agent was down{}; cleaning up", e.id(),
                        e.fromAnEarlierBoot() ? " (created before this machine last booted)" : "");
                removeSocketFiles(r);
                TokenDelivery.cleanup(deliveries, r.key());
                records.remove(e.id());
            } else {
                adopt(e, r);
            }
        }
    }

    /**
     * Removes the token socket file and the client's link an earlier run left in a delivery's token directory,
     * so that its clean-up, which removes only the token files it wrote, removes the directory too.
     */
    private static void removeSocketFiles(DeliveryRecord r) {
        if (!Files.isDirectory(r.tokenDirectory(), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            TokenSockets.removeFiles(TokenDirectory.open(r.tokenDirectory(), TokenAccess.forReader(r.reader())));
        } catch (IOException | DeliveryException e) {
            LOG.warn("delivery {}: its token socket's files cannot be removed: {}", r.key(), e.getMessage());
        }
    }

    /** Resumes a live container: its tokens are minted again now, so none is older than a refresh period. */
    private void adopt(ContainerRecords.Entry e, DeliveryRecord r) throws CiJwtException {
        TokenProfile profile = config.profiles().get(e.profile());
        if (profile == null) {
            LOG.warn("container {}: its profile {} is no longer defined; its tokens are left to expire", e.id(), e.profile());
            return;
        }
        BuildMetadata parsed = BuildMetadata.fromJson(e.metadata().toString(), "agent record of " + e.id());
        BuildMetadata metadata = e.config() == null ? parsed : parsed.withConfig(e.config());
        try {
            TokenDirectory directory = TokenDirectory.open(r.tokenDirectory(), TokenAccess.forReader(r.reader()));
            Map<String, MintedToken> tokens = new LinkedHashMap<>();
            for (String name : r.tokenFiles()) {
                Optional<TokenProfile.TokenConfig> t = profile.token(name);
                if (t.isPresent()) {
                    MintedToken m = delivery.refresh(metadata, t.get());
                    directory.write(name, m.compact());
                    tokens.put(name, m);
                }
            }
            TokenRefresher refresher = refresher(directory, metadata, profile, e.id());
            refresher.start(tokens);
            live.put(e.id(), new Live(e, metadata, profile, refresher));
            try {
                openSocket(e.id(), e.bundle(), directory, profile);
            } catch (IOException ex) {
                // Its delivered tokens stay refreshed; only asking for more fails, with "no token socket" in the task.
                LOG.warn("container {}: its token socket cannot be opened again after the restart: {}", e.id(), SecureFiles.reason(ex));
            }
            metrics.tokensRefreshed(tokens.size(), 0);
            LOG.info("container {}: adopted after restart; {} token(s) rewritten", e.id(), tokens.size());
        } catch (IOException ex) {
            throw new CiJwtException(ErrorCode.DELIVERY_FAILED, "container " + e.id() + ": token directory " + r.tokenDirectory()
                    + " cannot be rewritten: " + SecureFiles.reason(ex));
        }
    }

    /**
     * Whether a container's init process still runs: its bundle exists, and the pid its runtime
     * left there (if any yet) is a running process.
     */
    static boolean alive(Path bundle) {
        if (!Files.isDirectory(bundle)) {
            return false;
        }
        for (String name : PID_FILES) {
            Path pidFile = bundle.resolve(name);
            if (Files.isRegularFile(pidFile)) {
                try {
                    long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).trim());
                    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                } catch (IOException | NumberFormatException e) {
                    return true;
                }
            }
        }
        return true;
    }

    /** How often the builds of live containers are asked whether they ended. */
    public static final Duration BUILD_WATCH_INTERVAL = Duration.ofSeconds(5);

    /**
     * Every {@link #BUILD_WATCH_INTERVAL}, on a thread of its own (a slow identity source must not
     * hold up refreshes), asks the identity source whether each live container's build has ended;
     * one that has gets no more refreshes and its token files go, as on delete.
     */
    private void watchBuilds() {
        if (identity instanceof AnnotationIdentity) {
            return;
        }
        java.util.concurrent.ScheduledExecutorService watcher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ci-jwt-build-watch");
            t.setDaemon(true);
            return t;
        });
        buildWatch = watcher;
        watcher.scheduleWithFixedDelay(this::endFinishedBuilds, BUILD_WATCH_INTERVAL.toMillis(), BUILD_WATCH_INTERVAL.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** One sweep of {@link #watchBuilds()}: each build asked once. */
    void endFinishedBuilds() {
        Map<String, Boolean> ended = new HashMap<>();
        for (Live l : List.copyOf(live.values())) {
            if (closed || l.refresher() == null) {
                continue;
            }
            String build = l.metadata().buildId();
            Boolean over = ended.get(build);
            if (over == null) {
                try {
                    over = identity.buildEnded(l.metadata());
                } catch (CiJwtException | RuntimeException e) {
                    // Concourse unreachable: the container keeps its identity and refreshes; asked again next sweep.
                    LOG.debug("build {}: whether it ended is unknown now: {}", build, e.getMessage());
                    continue;
                }
                ended.put(build, over);
            }
            if (over) {
                try {
                    LOG.info("container {}: build {} has ended; its tokens are no longer refreshed and their files are removed",
                            l.entry().id(), build);
                    delete(l.entry().id());
                } catch (CiJwtException e) {
                    LOG.warn("container {}: removing the tokens of its ended build failed: {}", l.entry().id(), e.getMessage());
                }
            }
        }
    }

    /**
     * Whether the wall clock stepped since the last check (an NTP step, an operator's date): the
     * tokens minted while it was wrong carry a wrong {@code iat} and {@code exp}, and their refreshes
     * are planned by the monotonic clock, so without this a 1 h token would stay wrong for up to
     * 48 minutes. Every live container's tokens are minted again at once.
     */
    void checkClockStep() {
        Instant wall = clock.instant();
        long mono = monotonic.getAsLong();
        Duration step = Duration.between(lastWall.plusNanos(mono - lastMonotonic), wall);
        lastWall = wall;
        lastMonotonic = mono;
        if (step.abs().compareTo(CLOCK_STEP) > 0) {
            LOG.warn("the wall clock stepped {} by {} s; minting every live container's tokens again",
                    step.isNegative() ? "back" : "forward", step.abs().toSeconds());
            live.values().stream().map(Live::refresher).filter(r -> r != null).forEach(TokenRefresher::refreshNow);
        }
    }

    private void scheduleReaper() {
        scheduler.schedule(() -> {
            if (closed) {
                return;
            }
            checkClockStep();
            for (Live l : List.copyOf(live.values())) {
                if (l.refresher() != null && !alive(l.entry().bundle())) {
                    try {
                        LOG.info("container {}: its init process is gone; cleaning up", l.entry().id());
                        delete(l.entry().id());
                    } catch (CiJwtException | RuntimeException e) {
                        LOG.warn("container {}: clean-up after its end failed: {}", l.entry().id(), e.getMessage());
                    }
                }
            }
            scheduleReaper();
        }, REAP_INTERVAL);
    }

    /** Stops refreshing; the token files stay for the containers, which a restarted agent adopts. */
    @Override
    public void close() {
        closed = true;
        if (buildWatch != null) {
            buildWatch.shutdownNow();
        }
        live.values().stream().map(Live::refresher).filter(r -> r != null).forEach(TokenRefresher::close);
        List.copyOf(served.keySet()).forEach(this::closeSocket);
        if (sockets != null) {
            sockets.close();
        }
        scheduler.close();
    }
}
