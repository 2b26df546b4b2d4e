package org.cijwt.demo;

import java.io.PrintStream;
import java.nio.file.Path;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.claims.ClaimsPolicy;
import org.cijwt.keys.KeyRing;
import org.cijwt.keys.KeySource;
import org.cijwt.tokens.MintedToken;

/** What the demo has made so far, handed to each {@link DemoStep}. */
public record DemoContext(Path stateDir, KeySource keySource, KeyRing keyRing, BuildMetadata metadata,
                          ClaimsPolicy policy, MintedToken token, PrintStream out) {
}
