package org.cijwt.bench;

import java.util.ArrayList;
import java.util.List;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.jose.provider.CryptoProvider;
import org.cijwt.jose.provider.CryptoProviders;
import org.cijwt.jose.provider.TestProviders;
import org.cijwt.keys.KeyEntry;
import org.cijwt.keys.KeyRing;

/** What every benchmark here sets up the same way: the provider asked for, and the fixtures' keys. */
final class BenchKeys {
    private BenchKeys() {
    }

    /**
     * Points the process at the provider a benchmark parameter names ("auto", "accp" or "bc")
     * before anything signs; JMH runs each parameter set in a fresh fork, so this is the first
     * choice the process makes. Fails if the choice was already made otherwise.
     */
    static CryptoProvider useProvider(String crypto) throws Exception {
        if (!"auto".equals(crypto)) {
            System.setProperty(CryptoProviders.PROPERTY, crypto);
        }
        CryptoProvider active = CryptoProviders.require();
        String expected = CryptoProviders.select("auto".equals(crypto) ? null : crypto, "crypto").provider().name();
        if (!active.name().equals(expected)) {
            throw new IllegalStateException("asked for " + crypto + " but the process already runs on " + active.name()
                    + " (run JMH with forks)");
        }
        // One line per fork in JMH's log, so a result file can be matched to its provider.
        System.out.println("# ci-jwt crypto provider: " + active.name() + " (" + active.description() + ")");
        return active;
    }

    /** A ring with the fixtures' test key of one algorithm. */
    static KeyRing ring(SigningAlgorithm alg) throws Exception {
        List<KeyEntry> entries = new ArrayList<>();
        entries.add(KeyEntry.of(TestProviders.privateKey(alg), null, "fixtures"));
        return KeyRing.of(entries, List.of(), "fixtures");
    }
}
