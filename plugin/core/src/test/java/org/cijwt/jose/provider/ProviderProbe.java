package org.cijwt.jose.provider;

import org.cijwt.errors.CiJwtException;

/**
 * Prints the provider this process chose (its name, its description, and why ACCP is not used, if
 * it is not), or the setting's error; run in child JVMs by {@link CryptoProviderFallbackIT} and by
 * {@code bench/run}.
 */
public final class ProviderProbe {
    private ProviderProbe() {
    }

    public static void main(String[] args) {
        try {
            CryptoProvider p = CryptoProviders.require();
            System.out.println(p.name());
            System.out.println(p.description());
            System.out.println(CryptoProviders.accpProblem().orElse("accp loaded or not tried"));
        } catch (CiJwtException e) {
            System.out.println(e.userMessage());
            System.exit(1);
        }
    }
}
