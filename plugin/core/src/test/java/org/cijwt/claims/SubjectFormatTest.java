package org.cijwt.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class SubjectFormatTest {

    private static BuildMetadata build(String team, String pipeline, Map<String, Object> vars, String job, String task)
            throws CiJwtException {
        return BuildMetadata.builder().team(team).pipeline(pipeline).instanceVars(vars).job(job).task(task)
                .buildId("1").build();
    }

    private static final BuildMetadata SAMPLE;

    static {
        try {
            SAMPLE = build("main", "deploy", Map.of("branch", "dev"), "apply", "plan");
        } catch (CiJwtException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Test
    void subjectWhenEachScopeThenConcourseCompatibleShape() throws Exception {
        assertThat(SubjectFormat.parse("team").subjectFor(SAMPLE)).isEqualTo("main");
        assertThat(SubjectFormat.parse("pipeline").subjectFor(SAMPLE)).isEqualTo("main/deploy");
        assertThat(SubjectFormat.parse("instance").subjectFor(SAMPLE)).isEqualTo("main/deploy/branch:dev");
        assertThat(SubjectFormat.parse("job").subjectFor(SAMPLE)).isEqualTo("main/deploy/branch:dev/apply");
        assertThat(SubjectFormat.parse("step").subjectFor(SAMPLE)).isEqualTo("main/deploy/branch:dev/apply/plan");
        assertThat(SubjectFormat.DEFAULT.subjectFor(SAMPLE)).isEqualTo("main/deploy");
    }

    @Test
    void subjectWhenNoInstanceVarsThenInstanceSegmentIsOmitted() throws Exception {
        BuildMetadata md = build("main", "deploy", Map.of(), "apply", "plan");
        assertThat(SubjectFormat.parse("job").subjectFor(md)).isEqualTo("main/deploy/apply");
    }

    @Test
    void subjectWhenTemplateThenPlaceholdersAreFilled() throws Exception {
        assertThat(SubjectFormat.parse("team:{team}:pipeline:{pipeline}:job:{job}").subjectFor(SAMPLE))
                .isEqualTo("team:main:pipeline:deploy:job:apply");
    }

    @Test
    void subjectWhenNameHasSlashOrPercentThenTheyCannotCollide() throws Exception {
        // Concourse escapes '/' to %2F but leaves '%' alone: these two map to the same sub there.
        String slash = SubjectFormat.DEFAULT.subjectFor(build("a", "b/c", Map.of(), null, null));
        String percent = SubjectFormat.DEFAULT.subjectFor(build("a", "b%2Fc", Map.of(), null, null));
        assertThat(slash).isEqualTo("a/b%2Fc");
        assertThat(percent).isEqualTo("a/b%252Fc");
        assertThat(slash).isNotEqualTo(percent);
    }

    @Test
    void subjectWhenTemplateSeparatorAppearsInAValueThenItIsEscaped() throws Exception {
        SubjectFormat f = SubjectFormat.parse("team:{team}:pipeline:{pipeline}");
        String a = f.subjectFor(build("x:pipeline:y", "z", Map.of(), null, null));
        String b = f.subjectFor(build("x", "y:pipeline:z", Map.of(), null, null));
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void subjectWhenManyRandomBuildsThenNoTwoDifferentBuildsShareASub() throws Exception {
        Random random = new Random(7);
        String alphabet = "ab/%:2F,";
        for (String format : List.of("step", "instance", "team:{team}:pipeline:{pipeline}:job:{job}")) {
            SubjectFormat f = SubjectFormat.parse(format);
            Map<String, List<String>> seen = new HashMap<>();
            for (int i = 0; i < 20_000; i++) {
                List<String> parts = List.of(word(random, alphabet), word(random, alphabet), word(random, alphabet),
                        word(random, alphabet), word(random, alphabet));
                Map<String, Object> vars = random.nextBoolean() ? Map.of() : Map.of(parts.get(2), parts.get(3));
                BuildMetadata md = build(parts.get(0), parts.get(1), vars, parts.get(4), parts.get(3));
                List<String> identity = List.of(md.team(), md.pipeline(), vars.toString(), md.job(), md.task());
                List<String> relevant = format.startsWith("team:") ? List.of(md.team(), md.pipeline(), md.job())
                        : format.equals("instance") ? identity.subList(0, 3) : identity;
                List<String> previous = seen.putIfAbsent(f.subjectFor(md), relevant);
                if (previous != null) {
                    assertThat(previous).as("two builds share sub %s", f.subjectFor(md)).isEqualTo(relevant);
                }
            }
        }
    }

    private static String word(Random r, String alphabet) {
        StringBuilder sb = new StringBuilder();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    @Test
    void parseWhenPlaceholdersAreAdjacentThenRefusedBecauseTheyCouldCollide() {
        assertThatThrownBy(() -> SubjectFormat.parse("{team}{pipeline}"))
                .hasMessageContaining("placeholders must be separated")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.SUBJECT_INVALID));
        assertThatThrownBy(() -> SubjectFormat.parse("{team}-{pipeline}"))
                .hasMessageContaining("placeholders must be separated")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.SUBJECT_INVALID));
    }

    @Test
    void parseWhenUnknownPlaceholderOrScopeThenErrorNamesIt() {
        assertThatThrownBy(() -> SubjectFormat.parse("team:{colour}")).hasMessageContaining("{colour}")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.SUBJECT_INVALID));
        assertThatThrownBy(() -> SubjectFormat.parse("galaxy")).hasMessageContaining("subject scope 'galaxy' is unknown")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.SUBJECT_INVALID));
        assertThatThrownBy(() -> SubjectFormat.parse(" ")).satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.SUBJECT_INVALID));
        assertThatThrownBy(() -> SubjectFormat.parse("team:{team"))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.SUBJECT_INVALID));
    }

    @Test
    void subjectWhenScopeNeedsAMissingFieldThenErrorNamesTheField() throws Exception {
        BuildMetadata oneOff = BuildMetadata.builder().team("main").buildId("9").build();
        assertThatThrownBy(() -> SubjectFormat.DEFAULT.subjectFor(oneOff)).hasMessageContaining("needs 'pipeline'")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.SUBJECT_INVALID));
        assertThat(SubjectFormat.parse("team").subjectFor(oneOff)).isEqualTo("main");
    }

    @ParameterizedTest(name = "''{0}''")
    @NullAndEmptySource
    @ValueSource(strings = {" ", "galaxy", "team:{colour}", "{team}{pipeline}", "{team}-{pipeline}", "team:{team",
            "}x:{team}", "{team}:{Team}"})
    void parseWhenTheFormatIsNotAScopeOrAValidTemplateThenSubjectInvalidNotPolicyInvalid(String format) {
        assertThatThrownBy(() -> SubjectFormat.parse(format))
                .satisfies(e -> assertThat(code(e)).as(e.getMessage()).isEqualTo(ErrorCode.SUBJECT_INVALID));
    }

    @Test
    void subjectWhenATemplateNeedsAMissingFieldThenSubjectInvalidNamingTheField() throws Exception {
        BuildMetadata oneOff = BuildMetadata.builder().team("main").buildId("9").build();

        assertThatThrownBy(() -> SubjectFormat.parse("team:{team}:job:{job}").subjectFor(oneOff))
                .hasMessageContaining("needs 'job'")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.SUBJECT_INVALID));
        assertThatThrownBy(() -> SubjectFormat.scope(SubjectFormat.Scope.STEP).subjectFor(build("main", "deploy", Map.of(), "apply", null)))
                .hasMessageContaining("needs 'task'")
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.SUBJECT_INVALID));
    }

    private static ErrorCode code(Throwable e) {
        assertThat(e).isInstanceOf(CiJwtException.class);
        return ((CiJwtException) e).code();
    }

    private static String instanceSub(String instanceVarsJson) throws CiJwtException {
        BuildMetadata md = BuildMetadata.fromJson("{\"team\":\"main\",\"pipeline\":\"deploy\",\"buildid\":\"1\","
                + "\"instance_vars\":" + instanceVarsJson + "}", "m.json");
        return SubjectFormat.parse("instance").subjectFor(md);
    }

    @Test
    void subjectWhenInstanceVarIsANumberOrTheStringOfItsDigitsThenTheSubsDiffer() throws Exception {
        assertThat(instanceSub("{\"branch\":\"1\"}")).isEqualTo("main/deploy/branch:1");
        assertThat(instanceSub("{\"branch\":1}")).isEqualTo("main/deploy/branch=1");
        assertThat(instanceSub("{\"on\":true}")).isEqualTo("main/deploy/on=true").isNotEqualTo(instanceSub("{\"on\":\"true\"}"));
        assertThat(instanceSub("{\"v\":null}")).isNotEqualTo(instanceSub("{\"v\":\"null\"}"));
        assertThat(instanceSub("{\"v\":[1]}")).isNotEqualTo(instanceSub("{\"v\":\"[1]\"}"));
    }

    @Test
    void subjectWhenNestedValuesThenCanonicalJsonWhateverTheMemberOrderAndNoLookalikesCollide() throws Exception {
        String nested = instanceSub("{\"x\":{\"a\":1,\"b\":2}}");
        assertThat(nested).isEqualTo("main/deploy/x=%7B%22a%22%3A1%2C%22b%22%3A2%7D");
        assertThat(instanceSub("{\"x\":{\"b\":2,\"a\":1}}")).as("member order").isEqualTo(nested);
        // String.valueOf rendered both of these as {a=1, b=2}.
        assertThat(instanceSub("{\"x\":{\"a\":\"1, b=2\"}}")).isNotEqualTo(nested);
        assertThat(instanceSub("{\"x\":\"{a=1, b=2}\"}")).isNotEqualTo(nested);
        assertThat(instanceSub("{\"x\":\"1, y=2\"}")).isNotEqualTo(instanceSub("{\"x\":1,\"y\":2}"));
        assertThat(instanceSub("{\"x\":1.0}")).as("one number, one spelling").isEqualTo(instanceSub("{\"x\":1}"));
    }

    @Test
    void subjectWhenLibraryCallerGivesInstanceVarsInAnyMapOrderThenTheSubIsTheSame() throws Exception {
        Map<String, Object> inner1 = new java.util.LinkedHashMap<>();
        inner1.put("b", 2);
        inner1.put("a", 1);
        Map<String, Object> inner2 = new java.util.LinkedHashMap<>();
        inner2.put("a", 1L);
        inner2.put("b", 2.0);
        SubjectFormat f = SubjectFormat.parse("instance");
        assertThat(f.subjectFor(build("main", "deploy", Map.of("x", inner1), null, null)))
                .isEqualTo(f.subjectFor(build("main", "deploy", Map.of("x", inner2), null, null)))
                .isEqualTo("main/deploy/x=%7B%22a%22%3A1%2C%22b%22%3A2%7D");
    }

    @Test
    void subjectWhenManyRandomTypedAndNestedInstanceVarsThenNoTwoDifferentOnesShareASub() throws Exception {
        // Property: the instance segment is a function of the instance_vars claim and tells every two claims apart.
        ObjectMapper json = new ObjectMapper();
        Random random = new Random(11);
        SubjectFormat f = SubjectFormat.parse("instance");
        Map<String, JsonNode> seen = new HashMap<>();
        int distinct = 0;
        for (int i = 0; i < 20_000; i++) {
            Map<String, Object> vars = new java.util.LinkedHashMap<>();
            int n = 1 + random.nextInt(2);
            for (int k = 0; k < n; k++) {
                vars.put(word(random, "ab,:="), randomValue(random, 2));
            }
            BuildMetadata md = BuildMetadata.fromJson("{\"team\":\"t\",\"pipeline\":\"p\",\"buildid\":\"1\",\"instance_vars\":"
                    + json.writeValueAsString(vars) + "}", "generated");
            JsonNode claim = json.valueToTree(md.instanceVars());
            JsonNode previous = seen.putIfAbsent(f.subjectFor(md), claim);
            if (previous == null) {
                distinct++;
            } else {
                assertThat(previous).as("two builds share sub %s", f.subjectFor(md)).isEqualTo(claim);
            }
        }
        assertThat(distinct).as("the generator makes many different values").isGreaterThan(5_000);
    }

    private static Object randomValue(Random r, int depth) {
        int kind = r.nextInt(depth > 0 ? 9 : 7);
        return switch (kind) {
            case 0, 1 -> word(r, "1 ,:={}\"a");
            case 2 -> r.nextInt(3);
            case 3 -> r.nextBoolean() ? 0.5 : 1.0;
            case 4 -> r.nextBoolean();
            case 5 -> null;
            case 6 -> String.valueOf(r.nextInt(3));
            case 7 -> {
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                int n = r.nextInt(3);
                for (int i = 0; i < n; i++) {
                    m.put(word(r, "ab"), randomValue(r, depth - 1));
                }
                yield m;
            }
            default -> {
                List<Object> l = new java.util.ArrayList<>();
                int n = r.nextInt(3);
                for (int i = 0; i < n; i++) {
                    l.add(randomValue(r, depth - 1));
                }
                yield l;
            }
        };
    }

    @Test
    void escapeWhenNonAsciiThenUtf8BytesArePercentEncoded() {
        assertThat(SubjectFormat.escape("é x")).isEqualTo("%C3%A9%20x");
        assertThat(SubjectFormat.escape("ok-name_1.2~")).isEqualTo("ok-name_1.2~");
    }
}
