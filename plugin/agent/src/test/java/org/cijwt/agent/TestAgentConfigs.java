package org.cijwt.agent;

import org.cijwt.errors.CiJwtException;

/** Agent configurations the tests share. */
final class TestAgentConfigs {
    private TestAgentConfigs() {
    }

    /** One profile, {@code default}: one token {@code jwt} for the audience {@code vault}, 10 minutes, the default algorithm. */
    static AgentConfig vaultJwt() throws CiJwtException {
        return AgentConfig.parse(String.join("\n",
                "issuer: https://ci.example.test",
                "profiles:",
                "  default:",
                "    tokens: [{name: jwt, audiences: [vault], ttl: 10m}]",
                ""), "test agent config", null);
    }
}
