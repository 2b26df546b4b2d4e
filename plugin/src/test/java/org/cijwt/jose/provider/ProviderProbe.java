package org.cijwt.jose.provider;

import org.cijwt.errors.CiJwtException;

/** Run in a child JVM by {@link CryptoProviderFallbackIT}: prints the provider this process chose, or the setting's error. */
public final class ProviderProbe {
    private ProviderProbe() {
    }

    public static void main(String[] args) {
        try {
            CryptoProvider p = CryptoProviders.require();
            System.out.println(p.name());
            System.out.println(CryptoProviders.accpProblem().orElse("accp loaded or not tried"));
        } catch (CiJwtException e) {
            System.out.println(e.userMessage());
            System.exit(1);
        }
    }
}
