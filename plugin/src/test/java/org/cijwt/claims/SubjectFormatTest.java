package org.cijwt.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.cijwt.errors.CiJwtException;
import org.junit.jupiter.api.Test;

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
                .hasMessageContaining("placeholders must be separated");
        assertThatThrownBy(() -> SubjectFormat.parse("{team}-{pipeline}"))
                .hasMessageContaining("placeholders must be separated");
    }

    @Test
    void parseWhenUnknownPlaceholderOrScopeThenErrorNamesIt() {
        assertThatThrownBy(() -> SubjectFormat.parse("team:{colour}")).hasMessageContaining("{colour}");
        assertThatThrownBy(() -> SubjectFormat.parse("galaxy")).hasMessageContaining("subject scope 'galaxy' is unknown");
    }

    @Test
    void subjectWhenScopeNeedsAMissingFieldThenErrorNamesTheField() throws Exception {
        BuildMetadata oneOff = BuildMetadata.builder().team("main").buildId("9").build();
        assertThatThrownBy(() -> SubjectFormat.DEFAULT.subjectFor(oneOff)).hasMessageContaining("needs 'pipeline'");
        assertThat(SubjectFormat.parse("team").subjectFor(oneOff)).isEqualTo("main");
    }

    @Test
    void escapeWhenNonAsciiThenUtf8BytesArePercentEncoded() {
        assertThat(SubjectFormat.escape("é x")).isEqualTo("%C3%A9%20x");
        assertThat(SubjectFormat.escape("ok-name_1.2~")).isEqualTo("ok-name_1.2~");
    }
}
