package org.cijwt.vars;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cijwt.claims.BuildMetadata;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InterpolatorTest {

    private static final YAMLMapper YAML = new YAMLMapper();

    private static final BuildMetadata BUILD = new BuildMetadata("main", "1", "deploy", "7", Map.of(),
            "use-vars", "42", "1234", "17", "use-vars", "task", "worker-1", null, null);

    /** The task config of the job-JWT RFC's use-vars example. */
    private static final String USE_VARS_TASK = """
            platform: linux

            image_resource:
              type: mock
              source: {mirror_self: true}

            run:
              path: sh
              args:
              - -exc
              - |
                test "((hvjwt:some_secret.username))" = "hello-im-a-username"
                test "((hvjwt:"secret with_spaces.etc".some_key))" = "some-value"
            """;

    /**
     * An in-memory var source that keeps secrets per team, like the Vault source's lookup
     * templates, and records what it was asked for.
     */
    private static final class TeamSource implements VarSource {
        private final String name;
        private final Map<String, Object> secrets = new LinkedHashMap<>();
        private final List<String> lookups = new ArrayList<>();

        TeamSource(String name) {
            this.name = name;
        }

        TeamSource put(String team, String path, Object value) {
            secrets.put(team + "/" + path, value);
            return this;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Optional<Object> lookup(VarReference reference, BuildMetadata build) {
            lookups.add(reference.path());
            return Optional.ofNullable(secrets.get(build.team() + "/" + reference.path()));
        }
    }

    private static TeamSource rfcSecrets() {
        return new TeamSource("hvjwt")
                .put("main", "some_secret", Map.of("username", "hello-im-a-username"))
                .put("main", "secret with_spaces.etc", Map.of("some_key", "some-value"));
    }

    private static JsonNode yaml(String text) throws Exception {
        return YAML.readTree(text);
    }

    @Test
    void interpolateWhenRfcUseVarsTaskThenBothTestLinesGetTheirValues() throws Exception {
        Interpolator interpolator = Interpolator.builder().source(rfcSecrets()).build();

        JsonNode task = yaml(interpolator.interpolate(USE_VARS_TASK, BUILD));

        assertThat(task.at("/run/args/1").textValue()).isEqualTo("""
                test "hello-im-a-username" = "hello-im-a-username"
                test "some-value" = "some-value"
                """);
        assertThat(task.at("/run/args/0").textValue()).isEqualTo("-exc");
        assertThat(task.at("/image_resource/source/mirror_self").booleanValue()).isTrue();
        assertThat(task.at("/platform").textValue()).isEqualTo("linux");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "he said \"hi\"",
        "line one\nline two\n",
        "x\"\nevil: injected\n",
        "\"\n---\nevil: true",
        "' single ' quotes",
        "trailing spaces   \n  and leading",
        "#not a comment",
        "key: value",
        "- list item",
        "&anchor *alias !!tag",
        "{\"json\": [1, 2]}",
        "tab\there\r\nwindows line",
        "unicode ✓ \u2028 separator",
        "ends with backslash \\",
        "null",
        "123",
        "true",
        "",
    })
    void interpolateWhenSecretHasYamlSyntaxThenItStaysOneStringValue(String secret) throws Exception {
        TeamSource source = new TeamSource("s").put("main", "nasty", secret);
        Interpolator interpolator = Interpolator.builder().source(source).build();
        String config = """
                whole: ((s:nasty))
                embedded: "<((s:nasty))>"
                quoted: "((s:nasty))"
                list: [((s:nasty)), plain]
                """;

        JsonNode out = yaml(interpolator.interpolate(config, BUILD));

        assertThat(out.at("/whole").isTextual()).isTrue();
        assertThat(out.at("/whole").textValue()).isEqualTo(secret);
        assertThat(out.at("/embedded").textValue()).isEqualTo("<" + secret + ">");
        assertThat(out.at("/quoted").textValue()).isEqualTo(secret);
        assertThat(out.at("/list/0").textValue()).isEqualTo(secret);
        assertThat(out.at("/list/1").textValue()).isEqualTo("plain");
        assertThat(out.properties()).extracting(Map.Entry::getKey)
                .containsExactly("whole", "embedded", "quoted", "list");
    }

    @Test
    void interpolateWhenScalarIsExactlyOneReferenceThenItTakesTheValueAndItsType() throws Exception {
        TeamSource source = new TeamSource("s")
                .put("main", "db", Map.of("port", 5432, "hosts", List.of("a", "b"), "tls", true,
                        "options", Map.of("pool", 4)));
        Interpolator interpolator = Interpolator.builder().source(source).build();

        JsonNode out = yaml(interpolator.interpolate("""
                port: ((s:db.port))
                hosts: ((s:db.hosts))
                tls: ((s:db.tls))
                options: ((s:db.options))
                """, BUILD));

        assertThat(out.at("/port").isInt()).isTrue();
        assertThat(out.at("/port").intValue()).isEqualTo(5432);
        assertThat(out.at("/hosts").isArray()).isTrue();
        assertThat(out.at("/hosts/1").textValue()).isEqualTo("b");
        assertThat(out.at("/tls").booleanValue()).isTrue();
        assertThat(out.at("/options/pool").intValue()).isEqualTo(4);
    }

    @Test
    void interpolateWhenReferenceIsInsideALongerStringThenNumbersAndBooleansBecomeText() throws Exception {
        TeamSource source = new TeamSource("s").put("main", "db", Map.of("port", 5432, "tls", false));
        Interpolator interpolator = Interpolator.builder().source(source).build();

        JsonNode out = yaml(interpolator.interpolate("url: db:((s:db.port))?tls=((s:db.tls))", BUILD));

        assertThat(out.at("/url").textValue()).isEqualTo("db:5432?tls=false");
    }

    @Test
    void interpolateWhenEmbeddedValueIsAMapThenItIsAnErrorThatShowsNoValue() {
        TeamSource source = new TeamSource("s").put("main", "db", Map.of("password", "hunter2"));
        Interpolator interpolator = Interpolator.builder().source(source).build();

        assertThatThrownBy(() -> interpolator.interpolate("url: x-((s:db))", BUILD))
                .isInstanceOf(VarResolutionException.class)
                .hasMessage("((s:db)): value is a map, which cannot be embedded in a longer string (at url)")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void interpolateWhenValueContainsAReferenceThenItIsNotInterpolatedAgain() throws Exception {
        TeamSource source = new TeamSource("s")
                .put("main", "outer", "((s:inner))")
                .put("main", "inner", "should never be read");
        Interpolator interpolator = Interpolator.builder().source(source).build();

        JsonNode out = yaml(interpolator.interpolate("a: ((s:outer))\nb: x ((s:outer))", BUILD));

        assertThat(out.at("/a").textValue()).isEqualTo("((s:inner))");
        assertThat(out.at("/b").textValue()).isEqualTo("x ((s:inner))");
        assertThat(source.lookups).containsExactly("outer");
    }

    @Test
    void interpolateWhenLocalVarsAreReferencedThenTheyComeFromTheLocalMap() throws Exception {
        Interpolator interpolator = Interpolator.builder()
                .localVar("CONCOURSE_CI_JWT", "eyJhbGciOi.payload.sig")
                .localVars(Map.of("nested", Map.of("key", "v")))
                .build();

        JsonNode out = yaml(interpolator.interpolate("""
                auth_params: {role: example, jwt: ((.CONCOURSE_CI_JWT))}
                concourse_form: ((.:nested.key))
                """, BUILD));

        assertThat(out.at("/auth_params/jwt").textValue()).isEqualTo("eyJhbGciOi.payload.sig");
        assertThat(out.at("/concourse_form").textValue()).isEqualTo("v");
    }

    @Test
    void interpolateWhenLocalVarIsMissingThenTheErrorNamesIt() {
        Interpolator interpolator = Interpolator.builder().build();

        assertThatThrownBy(() -> interpolator.interpolate("jwt: ((.CONCOURSE_CI_JWT))", BUILD))
                .isInstanceOf(VarResolutionException.class)
                .hasMessage("((.:CONCOURSE_CI_JWT)): local var 'CONCOURSE_CI_JWT' is not set (at jwt)");
    }

    @Test
    void interpolateWhenSourceIsUnknownThenTheErrorNamesTheReferenceTheSourceAndTheKnownOnes() {
        Interpolator interpolator = Interpolator.builder().source(rfcSecrets()).source(new TeamSource("aws")).build();

        assertThatThrownBy(() -> interpolator.interpolate("run: {args: [\"((vault:x.y))\"]}", BUILD))
                .isInstanceOf(VarResolutionException.class)
                .hasMessage("((vault:x.y)): unknown var source 'vault' (known: aws, hvjwt) (at run.args[0])")
                .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.VAR_UNRESOLVED));
    }

    @Test
    void interpolateWhenSecretIsMissingThenTheErrorNamesTheSource() {
        Interpolator interpolator = Interpolator.builder().source(rfcSecrets()).build();

        assertThatThrownBy(() -> interpolator.interpolate("a: ((hvjwt:nope.field))", BUILD))
                .isInstanceOf(VarResolutionException.class)
                .hasMessage("((hvjwt:nope.field)): 'nope' not found in var source 'hvjwt' (at a)");
    }

    @Test
    void interpolateWhenSecretBelongsToAnotherTeamThenItIsNotFound() throws Exception {
        TeamSource source = new TeamSource("s").put("other-team", "token", "theirs");
        Interpolator interpolator = Interpolator.builder().source(source).build();

        assertThatThrownBy(() -> interpolator.interpolate("a: ((s:token))", BUILD))
                .isInstanceOf(VarResolutionException.class)
                .hasMessageContaining("not found in var source 's'");
        BuildMetadata otherTeam = BuildMetadata.builder().team("other-team").buildId("9").build();
        assertThat(yaml(interpolator.interpolate("a: ((s:token))", otherTeam)).at("/a").textValue())
                .isEqualTo("theirs");
    }

    @Test
    void interpolateWhenFieldIsMissingThenTheErrorListsFieldNamesButNoValues() {
        Interpolator interpolator = Interpolator.builder().source(rfcSecrets()).build();

        assertThatThrownBy(() -> interpolator.interpolate("a: ((hvjwt:some_secret.password))", BUILD))
                .isInstanceOf(VarResolutionException.class)
                .hasMessage("((hvjwt:some_secret.password)): field 'password' not found in 'some_secret'"
                        + " of var source 'hvjwt' (fields: username) (at a)")
                .hasMessageNotContaining("hello-im-a-username");
    }

    @Test
    void interpolateWhenFieldIsReadFromAStringThenTheErrorSaysItIsNotAMap() {
        TeamSource source = new TeamSource("s").put("main", "flat", "secret-text");
        Interpolator interpolator = Interpolator.builder().source(source).build();

        assertThatThrownBy(() -> interpolator.interpolate("a: ((s:flat.x.y))", BUILD))
                .isInstanceOf(VarResolutionException.class)
                .hasMessage("((s:flat.x.y)): cannot read field 'x' because 'flat' is a string, not a map (at a)")
                .hasMessageNotContaining("secret-text");
    }

    @Test
    void interpolateWhenSourceFailsThenTheErrorKeepsItsCodeAndAddsReferenceSourceAndPlace() {
        VarSource down = new VarSource() {
            @Override
            public String name() {
                return "hvjwt";
            }

            @Override
            public Optional<Object> lookup(VarReference reference, BuildMetadata build) throws VarResolutionException {
                throw new VarResolutionException(ErrorCode.VAULT_FAILED,
                        "cannot reach http://127.0.0.1:8200 (connection refused)");
            }
        };
        Interpolator interpolator = Interpolator.builder().source(down).build();

        assertThatThrownBy(() -> interpolator.interpolate(USE_VARS_TASK, BUILD))
                .isInstanceOf(VarResolutionException.class)
                .hasMessage("((hvjwt:some_secret.username)): var source 'hvjwt':"
                        + " cannot reach http://127.0.0.1:8200 (connection refused) (at run.args[1])")
                .satisfies(e -> assertThat(((CiJwtException) e).code()).isEqualTo(ErrorCode.VAULT_FAILED))
                .hasCauseInstanceOf(VarResolutionException.class);
    }

    @Test
    void interpolateWhenSourceReturnsAnUnconvertibleValueThenTheErrorNamesItsTypeNotItsContent() {
        VarSource odd = new VarSource() {
            @Override
            public String name() {
                return "odd";
            }

            @Override
            public Optional<Object> lookup(VarReference reference, BuildMetadata build) {
                return Optional.of(new Object());
            }
        };
        Interpolator interpolator = Interpolator.builder().source(odd).build();

        assertThatThrownBy(() -> interpolator.interpolate("a: ((odd:x))", BUILD))
                .isInstanceOf(VarResolutionException.class)
                .hasMessage("((odd:x)): var source 'odd' returned a java.lang.Object, which is not a string,"
                        + " number, map or list (at a)");
    }

    @Test
    void interpolateWhenTheSameSecretIsReferencedManyTimesThenTheSourceIsAskedOnce() throws Exception {
        TeamSource source = rfcSecrets();
        Interpolator interpolator = Interpolator.builder().source(source).build();

        interpolator.interpolate("""
                a: ((hvjwt:some_secret.username))
                b: x-((hvjwt:some_secret.username))-((hvjwt:some_secret.username))
                c: ((hvjwt:"secret with_spaces.etc".some_key))
                """, BUILD);

        assertThat(source.lookups).containsExactly("some_secret", "secret with_spaces.etc");
    }

    @Test
    void interpolateWhenCalledAgainThenSecretsAreReadAgain() throws Exception {
        TeamSource source = rfcSecrets();
        Interpolator interpolator = Interpolator.builder().source(source).build();

        interpolator.interpolate("a: ((hvjwt:some_secret.username))", BUILD);
        interpolator.interpolate("a: ((hvjwt:some_secret.username))", BUILD);

        assertThat(source.lookups).containsExactly("some_secret", "some_secret");
    }

    @Test
    void interpolateWhenNoSourceIsNamedThenTheDefaultSourceAnswers() throws Exception {
        Interpolator interpolator = Interpolator.builder().source(rfcSecrets()).defaultSource("hvjwt").build();

        assertThat(yaml(interpolator.interpolate("u: ((some_secret.username))", BUILD)).at("/u").textValue())
                .isEqualTo("hello-im-a-username");
    }

    @Test
    void interpolateWhenNoSourceIsNamedAndNoDefaultThenTheErrorShowsHowToNameOne() {
        Interpolator interpolator = Interpolator.builder().source(rfcSecrets()).build();

        assertThatThrownBy(() -> interpolator.interpolate("u: ((some_secret.username))", BUILD))
                .isInstanceOf(VarResolutionException.class)
                .hasMessage("((some_secret.username)): no var source named and no default var source configured;"
                        + " write ((source:some_secret.username)) (at u)");
    }

    @Test
    void interpolateWhenConfigHasNoReferencesThenTheTextIsReturnedUnchanged() throws Exception {
        String config = """
                # comments and layout survive
                platform: linux
                run: {path: sh, args: [-c, 'echo $((1 + 2)); if (( 3 > 2 )); then echo ok; fi']}
                """;

        assertThat(Interpolator.builder().build().interpolate(config, BUILD)).isSameAs(config);
    }

    @Test
    void interpolateWhenScriptMixesShellArithmeticAndReferencesThenOnlyReferencesChange() throws Exception {
        Interpolator interpolator = Interpolator.builder().source(rfcSecrets()).build();

        JsonNode out = yaml(interpolator.interpolate("""
                script: |
                  n=$((n + 1)); m=$((count))
                  user="((hvjwt:some_secret.username))"
                """, BUILD));

        assertThat(out.at("/script").textValue())
                .isEqualTo("n=$((n + 1)); m=$((count))\nuser=\"hello-im-a-username\"\n");
    }

    @Test
    void interpolateWhenMappingKeyHoldsAReferenceThenTheKeyIsInterpolatedAsText() throws Exception {
        TeamSource source = new TeamSource("s").put("main", "env", Map.of("name", "PROD_TOKEN"));
        Interpolator interpolator = Interpolator.builder().source(source).localVar("v", "x").build();

        JsonNode out = yaml(interpolator.interpolate("params: {((s:env.name)): ((.v))}", BUILD));

        assertThat(out.at("/params/PROD_TOKEN").textValue()).isEqualTo("x");
    }

    @Test
    void interpolateWhenInterpolatedKeysCollideThenItIsAnError() {
        Interpolator interpolator = Interpolator.builder().localVar("k", "a").build();

        assertThatThrownBy(() -> interpolator.interpolate("m: {a: 1, ((.k)): 2}", BUILD))
                .isInstanceOf(CiJwtException.class)
                .hasMessage("key '((.k))' duplicates another key once interpolated (at m)");
    }

    @Test
    void interpolateWhenReferenceIsMalformedThenTheErrorNamesItAndWhereItIs() {
        Interpolator interpolator = Interpolator.builder().source(rfcSecrets()).build();

        assertThatThrownBy(() -> interpolator.interpolate("run:\n  args:\n  - ok\n  - 'echo ((hvjwt:a..b))'\n", BUILD))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((hvjwt:a..b)): empty segment after 'a' (two dots in a row) (at run.args[1])");
    }

    @Test
    void interpolateWhenQuoteInReferenceIsUnbalancedThenTheErrorSaysSo() {
        Interpolator interpolator = Interpolator.builder().source(rfcSecrets()).build();
        String config = USE_VARS_TASK.replace("\"secret with_spaces.etc\"", "\"secret with_spaces.etc");

        assertThatThrownBy(() -> interpolator.interpolate(config, BUILD))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessageStartingWith("((hvjwt:\"secret with_spaces.etc.some_key))\": unbalanced quote")
                .hasMessageEndingWith("(at run.args[1])");
    }

    @Test
    void interpolateWhenTextIsNotYamlThenTheErrorSaysSoWithTheLine() {
        assertThatThrownBy(() -> Interpolator.builder().build().interpolate("a: [1, 2\nb: c: d", BUILD))
                .isInstanceOf(CiJwtException.class)
                .hasMessageStartingWith("task config is not valid YAML (line ");
    }

    @Test
    void interpolateWhenTextHoldsTwoDocumentsThenItIsRejected() {
        assertThatThrownBy(() -> Interpolator.builder().build().interpolate("a: 1\n---\nb: 2\n", BUILD))
                .isInstanceOf(CiJwtException.class)
                .hasMessage("task config holds more than one YAML document; interpolate one at a time");
    }

    @Test
    void interpolateWhenTextIsEmptyThenItIsReturnedAsItIs() throws Exception {
        assertThat(Interpolator.builder().build().interpolate("", BUILD)).isEmpty();
    }

    @Test
    void interpolateWhenGivenATreeThenTheTreeIsNotModified() throws Exception {
        JsonNode tree = new ObjectMapper().readTree("{\"a\": \"((.x))\", \"b\": [\"((.x))\"]}");
        Interpolator interpolator = Interpolator.builder().localVar("x", 1).build();

        JsonNode out = interpolator.interpolate(tree, BUILD);

        assertThat(out.toString()).isEqualTo("{\"a\":1,\"b\":[1]}");
        assertThat(tree.toString()).isEqualTo("{\"a\":\"((.x))\",\"b\":[\"((.x))\"]}");
    }

    @Test
    void interpolateTextWhenStringHasReferencesThenTheyAreReplacedAsText() throws Exception {
        Interpolator interpolator = Interpolator.builder().source(rfcSecrets()).build();

        assertThat(interpolator.interpolateText("user=((hvjwt:some_secret.username))", BUILD))
                .isEqualTo("user=hello-im-a-username");
    }

    @Test
    void resolveWhenQuotedPathThenTheFieldValueIsReturned() throws Exception {
        Interpolator interpolator = Interpolator.builder().source(rfcSecrets()).build();

        JsonNode value = interpolator.resolve(VarReference.parse("hvjwt:\"secret with_spaces.etc\".some_key"), BUILD);

        assertThat(value.textValue()).isEqualTo("some-value");
    }

    @Test
    void builderWhenTwoSourcesShareANameThenItFails() {
        assertThatThrownBy(() -> Interpolator.builder().source(rfcSecrets()).source(rfcSecrets()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("var source 'hvjwt' is configured twice");
    }

    @Test
    void builderWhenDefaultSourceIsNotConfiguredThenItFails() {
        assertThatThrownBy(() -> Interpolator.builder().defaultSource("vault").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("default var source 'vault' is not configured");
    }

    @Test
    void builderWhenSourceNameIsInvalidThenItFails() {
        assertThatThrownBy(() -> Interpolator.builder().source(new TeamSource("no spaces please")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid var source name 'no spaces please'");
    }
}
