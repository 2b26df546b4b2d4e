package org.cijwt.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.keys.KeyRing;
import org.cijwt.testkit.TestBuilds;
import org.cijwt.testkit.TestKeyRings;
import org.cijwt.testkit.TestTokens;
import org.cijwt.tokens.MintedToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerDemoStepTest {
    @TempDir
    Path dir;

    @Test
    void demoWhenRunThenPrintsDiscoveryAndAnActiveIntrospectionAnswer() throws Exception {
        KeyRing ring = TestKeyRings.signing();
        BuildMetadata md = TestBuilds.main();
        // The demo's own policy (DemoCommand's): default issuer, audience ci-jwt-demo.
        ClaimsPolicy policy = ClaimsPolicy.builder().audience("ci-jwt-demo").build();
        MintedToken token = TestTokens.mint(ring, Clock.systemUTC(), policy);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        new ServerDemoStep().run(new DemoContext(dir, TestKeyRings.source(), ring, md, policy, token, out));

        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("discovery: http://127.0.0.1:").contains("/.well-known/openid-configuration");
        assertThat(printed).contains("3 public key(s)");
        assertThat(printed).contains("-> 200").contains("\"active\" : true");
        assertThat(printed).doesNotContain(token.compact());
    }
}
