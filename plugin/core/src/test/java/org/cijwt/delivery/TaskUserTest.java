package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cijwt.errors.ErrorCode;
import org.cijwt.io.FileOwner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Which host user a container's task runs as, read from its untrusted runtime spec. */
class TaskUserTest {

    private static final String USER_NS = """
            "linux": {"namespaces": [{"type": "pid"}, {"type": "user"}],
                      "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 1000},
                                      {"containerID": 1000, "hostID": 201000, "size": 65536}],
                      "gidMappings": [{"containerID": 0, "hostID": 300000, "size": 65536}]}""";

    private static FileOwner taskUser(String user, String linux) throws DeliveryException {
        String json = "{\"process\": {\"args\": [\"sh\"]" + (user == null ? "" : ", \"user\": " + user) + "}"
                + (linux == null ? "" : ", " + linux) + "}";
        return OciSpec.parse(json).taskUser();
    }

    @Test
    void taskUserWhenSpecSaysNoUserThenRootAsRuncTakesIt() throws DeliveryException {
        assertThat(taskUser(null, null)).isEqualTo(FileOwner.ROOT);
        assertThat(taskUser("{}", null)).isEqualTo(FileOwner.ROOT);
    }

    @Test
    void taskUserWithoutAUserNamespaceThenTheIdsAsWritten() throws DeliveryException {
        assertThat(taskUser("{\"uid\": 1000, \"gid\": 1001, \"additionalGids\": [5]}", null)).isEqualTo(new FileOwner(1000, 1001));
    }

    @ParameterizedTest
    @CsvSource({"0, 0, 100000, 300000", "999, 7, 100999, 300007", "1000, 1000, 201000, 301000", "66535, 0, 266535, 300000"})
    void taskUserInAUserNamespaceThenTheIdsAreMappedToTheHost(int uid, int gid, int hostUid, int hostGid)
            throws DeliveryException {
        assertThat(taskUser("{\"uid\": " + uid + ", \"gid\": " + gid + "}", USER_NS)).isEqualTo(new FileOwner(hostUid, hostGid));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"uid\": -1, \"gid\": 0}", "{\"uid\": \"1000\", \"gid\": 0}", "{\"uid\": 1000.5, \"gid\": 0}",
        "{\"uid\": 1e3, \"gid\": 0}", "{\"uid\": 4294967295, \"gid\": 0}", "{\"uid\": 99999999999999999999, \"gid\": 0}",
        "{\"uid\": 0, \"gid\": true}", "{\"uid\": 4294967296, \"gid\": 0}", "\"root\"", "[0, 0]"})
    void taskUserWhenAnIdIsNotAUserIdThenBundleInvalidNamingTheField(String user) {
        assertThatThrownBy(() -> taskUser(user, null))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.BUNDLE_INVALID))
                .hasMessageStartingWith("config.json ")
                .hasMessageContaining("process.user");
    }

    /** Concourse runs an unprivileged task as the root of a user namespace whose host id is 4294967294. */
    @Test
    void taskUserWhenMappedToConcoursesHostIdAboveTheSignedIntRangeThenThatId() throws DeliveryException {
        String concourse = "\"linux\": {\"namespaces\": [{\"type\": \"user\"}],"
                + " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 4294967294, \"size\": 1}],"
                + " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 4294967294, \"size\": 1}]}";
        assertThat(taskUser("{\"uid\": 0, \"gid\": 0}", concourse)).isEqualTo(new FileOwner(4294967294L, 4294967294L));
    }

    @Test
    void taskUserWhenTheUserNamespaceDoesNotMapTheIdThenBundleInvalid() {
        assertThatThrownBy(() -> taskUser("{\"uid\": 70000, \"gid\": 0}", USER_NS))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.BUNDLE_INVALID))
                .hasMessage("config.json runs the task as process.user.uid 70000, which linux.uidMappings does not map to a host id");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "\"linux\": {\"namespaces\": [{\"type\": \"user\"}]}",
        "\"linux\": {\"namespaces\": [{\"type\": \"user\", \"path\": \"/proc/1/ns/user\"}]}",
        "\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]}",
        "\"linux\": {\"namespaces\": [{\"type\": \"user\"}], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 0}],"
                + " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}",
        "\"linux\": {\"namespaces\": [{\"type\": \"user\"}], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 4294967295, \"size\": 2}],"
                + " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}",
        "\"linux\": {\"namespaces\": [{\"type\": \"user\"}], \"uidMappings\": [{\"containerID\": 0, \"hostID\": \"1\", \"size\": 1}],"
                + " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}",
        "\"linux\": {\"namespaces\": {\"type\": \"user\"}}"})
    void taskUserWhenTheUserNamespaceCannotBeReadThenBundleInvalidRatherThanAGuess(String linux) {
        assertThatThrownBy(() -> taskUser("{\"uid\": 0, \"gid\": 0}", linux))
                .isInstanceOf(DeliveryException.class)
                .satisfies(e -> assertThat(((DeliveryException) e).code()).isEqualTo(ErrorCode.BUNDLE_INVALID))
                .hasMessageStartingWith("config.json ")
                .hasMessageContaining("linux.");
    }
}
