package org.cijwt.vars;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VarReferenceTest {

    @Test
    void parseWhenSourcePathAndFieldThenEachIsSeparated() throws Exception {
        VarReference ref = VarReference.parse("hvjwt:some_secret.username");

        assertThat(ref.source()).isEqualTo("hvjwt");
        assertThat(ref.path()).isEqualTo("some_secret");
        assertThat(ref.fields()).containsExactly("username");
        assertThat(ref.isLocal()).isFalse();
    }

    @Test
    void parseWhenQuotedSegmentHasDotsAndSpacesThenItIsOnePath() throws Exception {
        VarReference ref = VarReference.parse("hvjwt:\"secret with_spaces.etc\".some_key");

        assertThat(ref.source()).isEqualTo("hvjwt");
        assertThat(ref.path()).isEqualTo("secret with_spaces.etc");
        assertThat(ref.fields()).containsExactly("some_key");
    }

    @Test
    void parseWhenQuotedSegmentHasColonThenTheSourceEndsAtTheFirstUnquotedColon() throws Exception {
        VarReference ref = VarReference.parse("vault:\"a:b\".\"c:d e\"");

        assertThat(ref.source()).isEqualTo("vault");
        assertThat(ref.path()).isEqualTo("a:b");
        assertThat(ref.fields()).containsExactly("c:d e");
    }

    @Test
    void parseWhenNoSourceThenSourceIsNull() throws Exception {
        VarReference ref = VarReference.parse("foo");

        assertThat(ref).isEqualTo(new VarReference(null, "foo", List.of()));
    }

    @Test
    void parseWhenQuotedPathHasColonAndNoSourceThenTheColonIsNotASeparator() throws Exception {
        VarReference ref = VarReference.parse("\"a:b\".c");

        assertThat(ref.source()).isNull();
        assertThat(ref.path()).isEqualTo("a:b");
        assertThat(ref.fields()).containsExactly("c");
    }

    @Test
    void parseWhenLeadingDotThenItIsALocalVar() throws Exception {
        VarReference ref = VarReference.parse(".CONCOURSE_CI_JWT");

        assertThat(ref.isLocal()).isTrue();
        assertThat(ref.source()).isEqualTo(VarReference.LOCAL);
        assertThat(ref.path()).isEqualTo("CONCOURSE_CI_JWT");
        assertThat(ref.fields()).isEmpty();
    }

    @Test
    void parseWhenConcourseLocalSyntaxThenItEqualsTheLeadingDotForm() throws Exception {
        assertThat(VarReference.parse(".:local.field")).isEqualTo(VarReference.parse(".local.field"));
    }

    @Test
    void parseWhenLocalVarHasQuotedNameThenTheQuotesAreRemoved() throws Exception {
        VarReference ref = VarReference.parse(".\"my var.x\"");

        assertThat(ref.isLocal()).isTrue();
        assertThat(ref.path()).isEqualTo("my var.x");
    }

    @Test
    void parseWhenSeveralFieldsThenAllAreKeptInOrder() throws Exception {
        VarReference ref = VarReference.parse("src:path.a.\"b c\".d");

        assertThat(ref.fields()).containsExactly("a", "b c", "d");
    }

    @Test
    void parseWhenPathHasSlashesAndMoreColonsThenTheyArePartOfThePath() throws Exception {
        VarReference ref = VarReference.parse("vault:/concourse/main/db:primary.password");

        assertThat(ref.source()).isEqualTo("vault");
        assertThat(ref.path()).isEqualTo("/concourse/main/db:primary");
        assertThat(ref.fields()).containsExactly("password");
    }

    @Test
    void parseWhenSourceNameHasDotsAndDashesThenItIsAccepted() throws Exception {
        assertThat(VarReference.parse("my-vault.prod:x").source()).isEqualTo("my-vault.prod");
    }

    @Test
    void parseWhenUnicodeLettersThenTheyAreAllowedUnquoted() throws Exception {
        assertThat(VarReference.parse("quelle:geheimnis_ü.schlüssel").fields()).containsExactly("schlüssel");
    }

    @Test
    void parseWhenQuoteIsUnbalancedThenTheErrorNamesTheReference() {
        assertThatThrownBy(() -> VarReference.parse("hvjwt:\"a.b"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((hvjwt:\"a.b)): unbalanced quote")
                .satisfies(e -> {
                    VarSyntaxException syntax = (VarSyntaxException) e;
                    assertThat(syntax.reference()).isEqualTo("((hvjwt:\"a.b))");
                    assertThat(syntax.problem()).isEqualTo("unbalanced quote");
                    assertThat(syntax.code()).isEqualTo(ErrorCode.VAR_SYNTAX);
                });
    }

    @Test
    void parseWhenPathStartsWithDotThenEmptySegmentIsReported() {
        assertThatThrownBy(() -> VarReference.parse("a:.b"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((a:.b)): empty segment: the path starts with '.'");
    }

    @Test
    void parseWhenTwoDotsInARowThenEmptySegmentNamesTheSegmentBefore() {
        assertThatThrownBy(() -> VarReference.parse("a:b..c"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((a:b..c)): empty segment after 'b' (two dots in a row)");
    }

    @Test
    void parseWhenTrailingDotThenEmptySegmentIsReported() {
        assertThatThrownBy(() -> VarReference.parse("a:b."))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((a:b.)): empty segment: the reference ends with '.'");
    }

    @Test
    void parseWhenQuotedSegmentIsEmptyThenEmptySegmentIsReported() {
        assertThatThrownBy(() -> VarReference.parse("a:\"\".b"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((a:\"\".b)): empty segment: \"\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t"})
    void parseWhenReferenceIsEmptyThenItSaysSo(String inner) {
        assertThatThrownBy(() -> VarReference.parse(inner))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((" + inner + ")): empty reference");
    }

    @Test
    void parseWhenSourceIsEmptyThenItSaysSo() {
        assertThatThrownBy(() -> VarReference.parse(":x"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((:x)): empty var source name before ':'");
    }

    @Test
    void parseWhenNothingFollowsTheSourceThenThePathIsMissing() {
        assertThatThrownBy(() -> VarReference.parse("hvjwt:"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((hvjwt:)): missing path after 'hvjwt:'");
    }

    @Test
    void parseWhenOnlyADotThenTheLocalVarNameIsMissing() {
        assertThatThrownBy(() -> VarReference.parse("."))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((.)): missing local var name");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a b:c       | invalid var source name 'a b'",
        "\"src\":c   | invalid var source name '\"src\"'",
        ".x:c        | invalid var source name '.x'",
    })
    void parseWhenSourceNameIsInvalidThenTheErrorNamesIt(String inner, String problem) {
        assertThatThrownBy(() -> VarReference.parse(inner))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessageStartingWith("((" + inner + ")): " + problem);
    }

    @Test
    void parseWhenUnquotedSegmentHasSpaceThenItAsksForQuotes() {
        assertThatThrownBy(() -> VarReference.parse("src:my secret"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((src:my secret)): space in segment 'my secret' needs quotes: \"my secret\"");
    }

    @Test
    void parseWhenQuoteIsInsideASegmentThenItAsksToQuoteTheWholeSegment() {
        assertThatThrownBy(() -> VarReference.parse("src:ab\"c\""))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((src:ab\"c\")): quote inside segment 'ab\"c\"'; quote the whole segment instead");
    }

    @Test
    void parseWhenTextFollowsAClosingQuoteThenTheSegmentIsRejected() {
        assertThatThrownBy(() -> VarReference.parse("src:\"ab\"c"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessageStartingWith("((src:\"ab\"c)): quoted segment \"ab\"c must end with '\"'");
    }

    @Test
    void parseWhenQuotedSegmentHasLineBreakThenItIsRejected() {
        assertThatThrownBy(() -> VarReference.parse("src:\"a\nb\""))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessageEndingWith(": line break inside quoted segment");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "hvjwt:some_secret.username",
        "hvjwt:\"secret with_spaces.etc\".some_key",
        "\"a:b\".c",
        ".:local",
        "plain",
        "vault:/concourse/main/x.\"f.g\"",
    })
    void textWhenParsedAgainThenTheSameReferenceComesBack(String inner) throws Exception {
        VarReference ref = VarReference.parse(inner);
        String text = ref.text();

        assertThat(text).startsWith("((").endsWith("))");
        assertThat(VarReference.parse(text.substring(2, text.length() - 2))).isEqualTo(ref);
    }

    @Test
    void textWhenLocalThenItUsesTheConcourseForm() throws Exception {
        assertThat(VarReference.parse(".local.f").text()).isEqualTo("((.:local.f))");
    }

    @Test
    void secretWhenFieldsPresentThenTheyAreDropped() throws Exception {
        assertThat(VarReference.parse("s:p.f.g").secret()).isEqualTo(VarReference.of("s", "p"));
    }

    @Test
    void constructorWhenPathIsEmptyThenItFailsFast() {
        assertThatThrownBy(() -> new VarReference("s", "", List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("path must not be empty");
    }

    @Test
    void constructorWhenSegmentHasDoubleQuoteThenItFailsFast() {
        assertThatThrownBy(() -> new VarReference("s", "p", List.of("a\"b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("field must not contain a double quote or a line break");
    }

    @Test
    void constructorWhenSourceNameIsInvalidThenItFailsFast() {
        assertThatThrownBy(() -> VarReference.of("a b", "p"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid var source name 'a b'");
    }

    @Test
    void fieldsWhenModifiedThenTheReferenceDoesNotChange() throws Exception {
        VarReference ref = VarReference.parse("s:p.f");

        assertThatThrownBy(() -> ref.fields().add("x")).isInstanceOf(UnsupportedOperationException.class);
    }
}
