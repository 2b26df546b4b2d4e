package org.cijwt.vault.transit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.fixtures.launch.OpenBaoServer;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.jose.provider.CryptoProviders;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.keys.KeySources;
import org.cijwt.keys.VerificationKeySource;
import org.cijwt.tokens.MintedToken;
import org.cijwt.tokens.TokenMinter;
import org.cijwt.tokens.TokenVerifier;

/**
 * Mints per second through Transit on a real OpenBao dev server, next to local signing with the
 * fixtures' PEM key of the same algorithm, in one run: one signer minting in sequence, and bursts
 * of mints started at once (as many containers created together cause), with the Vault requests
 * each burst took. Everything runs in this JVM through {@link TokenMinter}, as in {@code serve} or
 * the agent; OpenBao runs on loopback and shares the CPUs. Run by {@code bench/run transit},
 * which documents the options; it prints one Markdown table for BENCHMARKS.md.
 *
 * <p>It lives in the benchmark module but in Transit's package: it counts the requests each signer
 * sends through the key source's package-private {@code requestCount()}, and sets Transit up with
 * the vault tests' {@link TransitLab}.
 *
 * <p>Every token of the first measured burst, and the last one of each sequence, is verified
 * against the ring's JWKS, so a fast run that made bad tokens fails instead of reporting.
 */
public final class TransitSigningBench {
    static final String ISSUER = "https://ci.example.com";
    static final String AUDIENCE = "vault";
    private static final Duration BURST_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration PAUSE_BETWEEN_BURSTS = Duration.ofMillis(50);

    private TransitSigningBench() {
    }

    /** How long and how much to measure; {@link #parse} reads them from the command line. */
    record Options(List<SigningAlgorithm> algorithms, Duration warmup, Duration measure, int burstSize,
                   int warmupBursts, int bursts) {

        static final String USAGE = "usage: bench/run transit [--algs EdDSA,ES256,RS256] [--warmup-seconds 2]"
                + " [--seconds 5] [--burst 100] [--warmup-bursts 3] [--bursts 20]";

        static Options defaults() {
            return new Options(List.of(SigningAlgorithm.EdDSA, SigningAlgorithm.ES256, SigningAlgorithm.RS256),
                    Duration.ofSeconds(2), Duration.ofSeconds(5), 100, 3, 20);
        }

        static Options parse(String[] args) {
            Options o = defaults();
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + " needs a value; " + USAGE);
                }
                String value = args[++i];
                o = switch (name) {
                    case "--algs" -> o.withAlgorithms(Arrays.stream(value.split(",")).map(String::strip)
                            .map(TransitSigningBench::algorithm).toList());
                    case "--warmup-seconds" -> o.with(seconds(name, value, true), o.measure, o.burstSize, o.warmupBursts, o.bursts);
                    case "--seconds" -> o.with(o.warmup, seconds(name, value, false), o.burstSize, o.warmupBursts, o.bursts);
                    case "--burst" -> o.with(o.warmup, o.measure, whole(name, value, 1), o.warmupBursts, o.bursts);
                    case "--warmup-bursts" -> o.with(o.warmup, o.measure, o.burstSize, whole(name, value, 0), o.bursts);
                    case "--bursts" -> o.with(o.warmup, o.measure, o.burstSize, o.warmupBursts, whole(name, value, 1));
                    default -> throw new IllegalArgumentException("unknown option " + name + "; " + USAGE);
                };
            }
            return o;
        }

        Options withAlgorithms(List<SigningAlgorithm> algs) {
            return new Options(List.copyOf(algs), warmup, measure, burstSize, warmupBursts, bursts);
        }

        Options with(Duration newWarmup, Duration newMeasure, int newBurstSize, int newWarmupBursts, int newBursts) {
            return new Options(algorithms, newWarmup, newMeasure, newBurstSize, newWarmupBursts, newBursts);
        }

        private static Duration seconds(String name, String value, boolean zeroAllowed) {
            try {
                double s = Double.parseDouble(value);
                if (s > 0 || (zeroAllowed && s == 0)) {
                    return Duration.ofMillis(Math.round(s * 1000));
                }
            } catch (NumberFormatException e) {
                // falls through to the one message below
            }
            throw new IllegalArgumentException(name + " '" + value + "' is not a number of seconds"
                    + (zeroAllowed ? " (0 or more)" : " above 0"));
        }

        private static int whole(String name, String value, int min) {
            try {
                int n = Integer.parseInt(value);
                if (n >= min && n <= 10_000) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // falls through to the one message below
            }
            throw new IllegalArgumentException(name + " '" + value + "' is not a whole number from " + min + " to 10000");
        }
    }

    private static SigningAlgorithm algorithm(String name) {
        for (SigningAlgorithm a : SigningAlgorithm.values()) {
            if (a.name().equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("--algs: '" + name + "' is not one of EdDSA, ES256, RS256");
    }

    /**
     * Who signs. The Transit variants differ only in their operator settings: the defaults batch
     * concurrent signatures; {@code batch_size: 1} sends one per request (four in flight), and with
     * {@code concurrency: 1} too, one round trip after the other, which is what batching avoids.
     */
    enum Signer {
        LOCAL("local PEM key", null, true),
        TRANSIT("Transit, defaults (batch_size 100, concurrency 4)", "", true),
        TRANSIT_UNBATCHED("Transit, batch_size 1, concurrency 4", "batch_size: 1\n", false),
        TRANSIT_SERIAL("Transit, batch_size 1, concurrency 1 (in series)", "batch_size: 1\nconcurrency: 1\n", false);

        final String label;
        /** The settings file's content, or null for the local key. */
        final String settings;
        /** Whether one signer minting in sequence is measured (for the others it is the same as TRANSIT's). */
        final boolean sequential;

        Signer(String label, String settings, boolean sequential) {
            this.label = label;
            this.settings = settings;
            this.sequential = sequential;
        }
    }

    /** One signer minting one token after the other. */
    record Sequential(long mints, double perSecond, double p50Millis, double p99Millis, double requestsPerMint) {
    }

    /** Bursts of mints started at once: the time until the last of each is done, and Vault requests per burst. */
    record Burst(double medianMillis, double worstMillis, double requestsPerBurst, long minRequests, long maxRequests) {
    }

    /** One line of the table; {@code sequential} is null where it is not measured. */
    record Row(SigningAlgorithm alg, Signer signer, Sequential sequential, Burst burst) {
    }

    /** Transit key type per algorithm: the types docs/transit.md's set-up names. */
    static String transitType(SigningAlgorithm alg) {
        return switch (alg) {
            case EdDSA -> "ed25519";
            case ES256 -> "ecdsa-p256";
            case RS256 -> "rsa-2048";
        };
    }

    private static TestKeys.Alg fixtureAlg(SigningAlgorithm alg) {
        return TestKeys.Alg.valueOf(alg.name());
    }

    /** Mounts Transit on {@code bao}, makes one key per algorithm and measures every signer; {@code dir} holds the key files. */
    static List<Row> run(OpenBaoServer bao, Options options, Path dir) throws Exception {
        TransitLab lab = TransitLab.of(bao);
        lab.mountTransit();
        BuildMetadata build = BuildMetadata.fromJson(TestKeys.metadata("main"), "main");
        List<Row> rows = new ArrayList<>();
        for (SigningAlgorithm alg : options.algorithms()) {
            String key = "bench-" + transitType(alg);
            lab.createKey(key, transitType(alg));
            // The signer policy of docs/transit.md, and a lease long enough that no renewal falls inside the run.
            String token = lab.signerToken(key, Duration.ofHours(8));
            ClaimsPolicy policy = ClaimsPolicy.builder().issuer(ISSUER).audience(AUDIENCE).algorithm(alg)
                    .ttl(Duration.ofMinutes(10)).build();
            for (Signer signer : Signer.values()) {
                System.err.println("transit bench: " + alg + ", " + signer.label + " ...");
                rows.add(measure(bao, lab, alg, key, token, signer, policy, build, options, dir));
            }
        }
        return rows;
    }

    private static Row measure(OpenBaoServer bao, TransitLab lab, SigningAlgorithm alg, String key, String token,
                               Signer signer, ClaimsPolicy policy, BuildMetadata build, Options options, Path dir)
            throws Exception {
        KeySource source;
        LongSupplier requests;
        if (signer.settings == null) {
            Path pem = TestKeys.copyPrivate(fixtureAlg(alg).privatePemFile(), Files.createDirectories(dir.resolve("pem")));
            source = KeySources.resolve(pem.toString(), KeySources.Options.defaults());
            requests = () -> 0;
        } else {
            Path settings = Files.writeString(dir.resolve("transit-" + signer.name().toLowerCase(Locale.ROOT) + ".yml"),
                    signer.settings, StandardCharsets.UTF_8);
            Map<String, String> env = TransitLab.env(bao.address().toString(), token, settings);
            TransitKeySource transit = (TransitKeySource) KeySources.resolve("transit:" + TransitLab.MOUNT + "/" + key,
                    KeySources.Options.defaults().withEnv(env));
            source = transit;
            requests = transit::requestCount;
        }
        try {
            KeyRing ring = source.load();
            TokenMinter minter = new TokenMinter(() -> ring, Clock.systemUTC());
            TokenVerifier verifier = verifier(ring);
            Sequential sequential = signer.sequential ? sequential(minter, build, policy, verifier, requests, options) : null;
            Burst burst = bursts(minter, build, policy, verifier, requests, options);
            return new Row(alg, signer, sequential, burst);
        } finally {
            if (source instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
    }

    private static TokenVerifier verifier(KeyRing ring) throws Exception {
        KeyRing published = VerificationKeySource.fromJwks(ring.publicJwksJson(), "the signer's JWKS");
        return new TokenVerifier(() -> published, ISSUER, List.of(AUDIENCE), TokenVerifier.DEFAULT_LEEWAY,
                Clock.systemUTC());
    }

    private static void check(TokenVerifier verifier, MintedToken token) {
        if (!verifier.verify(token.compact()).active()) {
            throw new IllegalStateException("a " + token.algorithm() + " token (kid " + token.kid()
                    + ") does not verify against its signer's JWKS");
        }
    }

    private static Sequential sequential(TokenMinter minter, BuildMetadata build, ClaimsPolicy policy,
                                         TokenVerifier verifier, LongSupplier requests, Options options) throws Exception {
        long warmEnd = System.nanoTime() + options.warmup().toNanos();
        do {
            minter.mint(build, policy);
        } while (System.nanoTime() - warmEnd < 0);

        long[] latencies = new long[1024];
        int n = 0;
        long before = requests.getAsLong();
        long start = System.nanoTime();
        long end = start + options.measure().toNanos();
        long now = start;
        MintedToken last = null;
        while (now - end < 0) {
            last = minter.mint(build, policy);
            long done = System.nanoTime();
            if (n == latencies.length) {
                latencies = Arrays.copyOf(latencies, n * 2);
            }
            latencies[n++] = done - now;
            now = done;
        }
        long elapsed = now - start;
        long used = requests.getAsLong() - before;
        check(verifier, last);
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        return new Sequential(n, n / (elapsed / 1e9), millis(percentile(sorted, 0.50)), millis(percentile(sorted, 0.99)),
                (double) used / n);
    }

    private static Burst bursts(TokenMinter minter, BuildMetadata build, ClaimsPolicy policy, TokenVerifier verifier,
                                LongSupplier requests, Options options) throws Exception {
        int size = options.burstSize();
        // One thread per container: each asks for its token at the same moment, as pre-flight hooks would.
        ExecutorService containers = Executors.newFixedThreadPool(size, r -> {
            Thread t = new Thread(r, "bench-container");
            t.setDaemon(true);
            return t;
        });
        try {
            long[] times = new long[options.bursts()];
            long[] used = new long[options.bursts()];
            for (int b = -options.warmupBursts(); b < options.bursts(); b++) {
                CountDownLatch ready = new CountDownLatch(size);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Long>> doneAt = new ArrayList<>(size);
                List<MintedToken> tokens = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    doneAt.add(containers.submit(() -> {
                        ready.countDown();
                        go.await();
                        MintedToken t = minter.mint(build, policy);
                        long at = System.nanoTime();
                        synchronized (tokens) {
                            tokens.add(t);
                        }
                        return at;
                    }));
                }
                if (!ready.await(BURST_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the " + size + " burst threads did not start");
                }
                long before = requests.getAsLong();
                long start = System.nanoTime();
                go.countDown();
                long lastDone = start;
                for (Future<Long> f : doneAt) {
                    lastDone = Math.max(lastDone, f.get(BURST_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
                }
                if (b >= 0) {
                    times[b] = lastDone - start;
                    used[b] = requests.getAsLong() - before;
                }
                if (b == 0) {
                    Set<String> jtis = new HashSet<>();
                    for (MintedToken t : tokens) {
                        check(verifier, t);
                        jtis.add(t.jti());
                    }
                    if (jtis.size() != size) {
                        throw new IllegalStateException("a burst of " + size + " made " + jtis.size() + " distinct tokens");
                    }
                }
                Thread.sleep(PAUSE_BETWEEN_BURSTS.toMillis());
            }
            long[] sorted = times.clone();
            Arrays.sort(sorted);
            return new Burst(millis(percentile(sorted, 0.50)), millis(sorted[sorted.length - 1]),
                    (double) Arrays.stream(used).sum() / used.length, Arrays.stream(used).min().orElse(0),
                    Arrays.stream(used).max().orElse(0));
        } finally {
            containers.shutdownNow();
        }
    }

    /** The nearest-rank percentile of sorted values. */
    static long percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    /** The lines above the table: when, where, on what, and how long. */
    static String header(Options o, String baoVersion) {
        return "Transit signing, " + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"))
                + "; " + Machine.describe() + "; Linux " + System.getProperty("os.version") + "; Java "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + "; " + baoVersion
                + " (dev server, loopback); ci-jwt crypto provider " + CryptoProviders.active().name() + ".\n"
                + "One signer: " + secs(o.warmup()) + " warm-up, then " + secs(o.measure()) + " of mints one after the"
                + " other. Burst: " + o.burstSize() + " mints started at once on " + o.burstSize() + " threads"
                + " (warm-up: " + o.warmupBursts() + ", measured: " + o.bursts() + "), timed from the start until"
                + " the last token is made.\n";
    }

    private static String secs(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    /** The one table: every row, with the local key's figures as the yardstick for the Transit rows of its algorithm. */
    static String table(List<Row> rows, Options o) {
        StringBuilder out = new StringBuilder();
        out.append("| alg | signer | one signer: mints/s | p50 | p99 | Vault requests per mint | burst of ")
                .append(o.burstSize()).append(": all done in (median) | slowest burst | Vault requests per burst (min–max)")
                .append(" | local is … faster (one signer; burst) |\n");
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Row r : rows) {
            Row local = rows.stream().filter(x -> x.alg() == r.alg() && x.signer() == Signer.LOCAL).findFirst().orElse(null);
            Sequential s = r.sequential();
            Burst b = r.burst();
            out.append("| ").append(r.alg()).append(" | ").append(r.signer().label).append(" | ");
            if (s == null) {
                // One mint at a time puts one signature in each request whatever the settings: the row above.
                out.append("as above | | | | ");
            } else {
                out.append(format("%,.0f", s.perSecond())).append(" | ").append(ms(s.p50Millis())).append(" | ")
                        .append(ms(s.p99Millis())).append(" | ").append(format("%.2f", s.requestsPerMint())).append(" | ");
            }
            out.append(ms(b.medianMillis())).append(" | ").append(ms(b.worstMillis())).append(" | ")
                    .append(format("%.1f", b.requestsPerBurst()))
                    .append(b.minRequests() == b.maxRequests() ? "" : " (" + b.minRequests() + "–" + b.maxRequests() + ")")
                    .append(" | ");
            if (r.signer() != Signer.LOCAL && local != null) {
                String seq = s == null || local.sequential() == null ? "—"
                        : format("%.1f×", local.sequential().perSecond() / s.perSecond());
                out.append(seq).append("; ").append(format("%.1f×", b.medianMillis() / local.burst().medianMillis()));
            }
            out.append(" |\n");
        }
        return out.toString();
    }

    private static String ms(double millis) {
        return millis < 10 ? format("%.2f ms", millis) : millis < 100 ? format("%.1f ms", millis) : format("%,.0f ms", millis);
    }

    private static String format(String pattern, double value) {
        return String.format(Locale.ROOT, pattern, value);
    }

    /** The CPU model and core count as /proc/cpuinfo gives them. */
    static final class Machine {
        private Machine() {
        }

        static String describe() {
            try {
                List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
                String model = lines.stream().filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                        .findFirst().orElse("unknown CPU");
                long cores = lines.stream().filter(l -> l.startsWith("processor")).count();
                return model + ", " + cores + " logical CPUs (/proc/cpuinfo)";
            } catch (IOException e) {
                return "CPU unknown (no /proc/cpuinfo), " + Runtime.getRuntime().availableProcessors() + " CPUs";
            }
        }
    }

    private static String baoVersion(Path bao) {
        try {
            Process p = new ProcessBuilder(bao.toString(), "version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor(10, TimeUnit.SECONDS);
            return out.lines().findFirst().orElse("OpenBao (version unknown)");
        } catch (IOException e) {
            return "OpenBao (version unknown)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "OpenBao (version unknown)";
        }
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("transit bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        var missing = OpenBaoServer.unavailableReason();
        if (missing.isPresent()) {
            System.err.println("transit bench: " + missing.get());
            System.exit(2);
            return;
        }
        CryptoProviders.require();
        Path dir = Files.createTempDirectory("ci-jwt-transit-bench");
        try (OpenBaoServer bao = OpenBaoServer.start()) {
            List<Row> rows = run(bao, options, dir);
            System.out.println(header(options, baoVersion(bao.binary())));
            System.out.print(table(rows, options));
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        // The Transit sources' token renewers and HTTP clients are daemons; nothing else keeps the JVM.
        System.exit(0);
    }
}
