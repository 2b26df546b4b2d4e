package org.cijwt.agent;

/** Identity sources for tests of what the agent does with a source's answer. */
final class TestIdentities {
    private TestIdentities() {
    }

    /** A source that leaves every container alone, for {@code reason}. */
    static IdentitySource notManaged(String reason) {
        return new IdentitySource() {
            @Override
            public String name() {
                return "test";
            }

            @Override
            public Identity identify(ContainerService.CreateRequest request) {
                return new NotManaged(reason);
            }
        };
    }
}
