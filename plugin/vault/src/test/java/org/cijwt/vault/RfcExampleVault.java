package org.cijwt.vault;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.cijwt.fixtures.launch.OpenBaoAdmin;
import org.cijwt.jose.SigningAlgorithm;
import org.cijwt.keys.KeyCodec;
import org.cijwt.testkit.TestKeyRings;

/**
 * The job-JWT RFC's use-vars example on both sides, for the tests that run it against a real server:
 * the pipeline's {@code var_sources} entry ({@link #entry}) and the Vault it logs in to
 * ({@link #configure}), which trusts the committed TEST ES256 signing key of {@link TestKeyRings}.
 */
final class RfcExampleVault {

    /** The JWT auth mount and the KV v2 mount of the example. */
    static final String MOUNT = "concourse";
    /** The role the example's entry logs in as. */
    static final String ROLE = "example";

    private RfcExampleVault() {
    }

    /**
     * The RFC's {@code var_sources} entry {@code hvjwt}, every key written out, for the Vault at
     * {@code url}; a test appends keys of its own below {@code config:} (indented two spaces).
     */
    static String entry(String url) {
        return """
                name: hvjwt
                type: vault
                config:
                  url: %s
                  path_prefix: "/concourse"
                  lookup_templates: ["/{{.Team}}/{{.Pipeline}}/{{.Secret}}", "/{{.Team}}/{{.Secret}}"]
                  shared_path: "/shared/{{.Pipeline}}/{{.Secret}}"
                  namespace: "/root"
                  auth_path: "/auth/concourse"
                  auth_type: "jwt"
                  auth_role: "example"
                """.formatted(url);
    }

    /**
     * JWT auth at {@code auth/concourse} trusting the committed ES256 key for {@code issuer}; role
     * {@value #ROLE} bound to {@code audience}, team {@code main} and pipeline {@code use-vars-pipeline},
     * reading that pipeline's folder and its team's; KV v2 at {@code concourse/} with the RFC's
     * {@code some_secret}.
     */
    static void configure(OpenBaoAdmin admin, String issuer, String audience) throws Exception {
        admin.enableJwtAuth(MOUNT);
        admin.trustPublicKeys(MOUNT, issuer,
                List.of(KeyCodec.publicPem(TestKeyRings.signing().requireSigner(SigningAlgorithm.ES256).entry())));
        admin.mountKv(MOUNT, 2);
        admin.writePolicy("use-vars", OpenBaoAdmin.teamPipelinePolicy(MOUNT, "main", "use-vars-pipeline"));
        admin.writeRole(MOUNT, new OpenBaoAdmin.JwtRole(ROLE, audience,
                Map.of("team", "main", "pipeline", "use-vars-pipeline"), List.of("use-vars"), Duration.ofMinutes(5)));
        admin.writeSecret(MOUNT, 2, "main/use-vars-pipeline/some_secret", Map.of("username", "hello-im-a-username"));
    }
}
