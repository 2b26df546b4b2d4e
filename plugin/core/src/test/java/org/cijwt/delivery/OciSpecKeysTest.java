package org.cijwt.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A config.json that runc would read differently from ci-jwt is refused (review finding 6, issue
 * 20): runc's Go decoder matches struct field names case-insensitively (Unicode folding), so
 * {@code "Args"} next to {@code "args"} let the signed command pass the check while runc ran the
 * other; a lone {@code "Process"} or {@code "argſ"} is read by runc and not by an exact lookup.
 */
class OciSpecKeysTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"process\":{\"args\":[\"sh\"],\"Args\":[\"evil\"]}}",
            "{\"mounts\":[],\"Mounts\":[{\"destination\":\"/x\",\"source\":\"/\",\"type\":\"bind\"}]}",
            "{\"hooks\":{\"startContainer\":[],\"StartContainer\":[{\"path\":\"/bin/cat\"}]}}",
            "{\"annotations\":{},\"ANNOTATIONS\":{\"org.cijwt.metadata\":\"{}\"}}",
            "{\"process\":{\"env\":[\"A=1\"],\"ENV\":[\"A=2\"]}}",
            "{\"Process\":{\"args\":[\"evil\"]}}",
            "{\"process\":{\"argſ\":[\"evil\"]}}",
            "{\"linux\":{\"uidMappingſ\":[]}}",
            "{\"process\":{\"user\":{\"uid\":0,\"UID\":1000}}}"})
    void parseWhenRuncWouldReadAKeyOurLookupDoesNotThenRefusedNamingIt(String spec) {
        assertThatThrownBy(() -> OciSpec.parse(spec))
                .isInstanceOfSatisfying(DeliveryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BUNDLE_INVALID))
                .hasMessageContaining("config.json")
                .hasMessageContaining("runc");
    }

    @org.junit.jupiter.api.Test
    void privilegedWhenRootIsTheHostsAndCapSysAdminIsThereThenTrue() throws DeliveryException {
        String caps = "\"process\":{\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]}}";
        assertThat(OciSpec.parse("{" + caps + "}").process().privileged()).isTrue();
        assertThat(OciSpec.parse("{" + caps + ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"user\"}]}}")
                .process().privileged()).as("in a user namespace").isFalse();
        assertThat(OciSpec.parse("{\"process\":{\"capabilities\":{\"bounding\":[\"CAP_CHOWN\"]}}}").process().privileged()).isFalse();
        assertThat(OciSpec.parse("{}").process().privileged()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"noNewPrivileges\":true},\"linux\":{\"uidMappings\":[]}}",
            "{\"annotations\":{\"a\":\"1\",\"A\":\"2\",\"Org.Example\":\"x\"}}",
            "{\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":\"1\",\"NET.x\":\"2\"}}}"})
    void parseWhenKeysAreTheSpecsOwnOrMapDataThenAccepted(String spec) throws DeliveryException {
        assertThat(OciSpec.parse(spec).json()).isNotNull();
    }
}
