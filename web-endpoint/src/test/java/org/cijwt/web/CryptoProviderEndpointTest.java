package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.junit5.VertxTestContext;
import org.cijwt.jose.provider.CryptoProvider;
import org.junit.jupiter.api.Test;

/** The crypto provider the process chose is visible to operators: in readyz and as a metric. */
class CryptoProviderEndpointTest extends ServerTestBase {

    @Test
    void readyzWhenServingThenNamesTheCryptoProvider(VertxTestContext tc) {
        client.get(port(), "127.0.0.1", Endpoints.READYZ).send().onComplete(tc.succeeding(res -> tc.verify(() -> {
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.bodyAsJsonObject().getString("crypto_provider"))
                    .isEqualTo(CryptoProvider.active().name())
                    .isIn(CryptoProvider.ACCP, CryptoProvider.BOUNCY_CASTLE);
            tc.completeNow();
        })));
    }

    @Test
    void metricsWhenScrapedThenCryptoProviderGaugeNamesIt(VertxTestContext tc) {
        client.get(port(), "127.0.0.1", Endpoints.METRICS).send().onComplete(tc.succeeding(res -> tc.verify(() -> {
            assertThat(res.statusCode()).isEqualTo(200);
            assertThat(res.bodyAsString())
                    .contains("cijwt_crypto_provider{provider=\"" + CryptoProvider.active().name() + "\"} 1.0");
            tc.completeNow();
        })));
    }
}
