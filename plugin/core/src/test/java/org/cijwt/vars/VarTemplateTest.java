package org.cijwt.vars;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VarTemplateTest {

    @Test
    void parseWhenRfcShellLineThenBothReferencesAreFoundInsideTheShellQuotes() throws Exception {
        String script = "test \"((hvjwt:some_secret.username))\" = \"hello-im-a-username\"\n"
                + "test \"((hvjwt:\"secret with_spaces.etc\".some_key))\" = \"some-value\"\n";

        VarTemplate template = VarTemplate.parse(script);

        assertThat(template.references()).containsExactly(
                new VarReference("hvjwt", "some_secret", List.of("username")),
                new VarReference("hvjwt", "secret with_spaces.etc", List.of("some_key")));
        assertThat(template.parts()).containsExactly(
                new VarTemplate.Literal("test \""),
                new VarTemplate.Reference(VarReference.parse("hvjwt:some_secret.username"),
                        "((hvjwt:some_secret.username))"),
                new VarTemplate.Literal("\" = \"hello-im-a-username\"\ntest \""),
                new VarTemplate.Reference(VarReference.parse("hvjwt:\"secret with_spaces.etc\".some_key"),
                        "((hvjwt:\"secret with_spaces.etc\".some_key))"),
                new VarTemplate.Literal("\" = \"some-value\"\n"));
    }

    @Test
    void parseWhenTextIsExactlyOneReferenceThenItIsASingleReference() throws Exception {
        assertThat(VarTemplate.parse("((a:b.c))").singleReference())
                .contains(new VarReference("a", "b", List.of("c")));
        assertThat(VarTemplate.parse(" ((a:b.c))").singleReference()).isEmpty();
    }

    @Test
    void parseWhenQuotedSegmentHoldsClosingParenthesesThenTheyDoNotEndTheReference() throws Exception {
        assertThat(VarTemplate.parse("x((s:\"a))b\".c))y").references())
                .containsExactly(new VarReference("s", "a))b", List.of("c")));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "echo $((i + 1))",
        "echo $((count))",
        "if (( x > 3 )); then echo big; fi",
        "(( foo ))",
        "a ((b c)) d",
        "unterminated ((foo",
        "f(x) and (y)",
        "((a)b))",
        "",
    })
    void parseWhenTextOnlyLooksLikeAReferenceThenItStaysLiteral(String text) throws Exception {
        VarTemplate template = VarTemplate.parse(text);

        assertThat(template.hasReferences()).isFalse();
        assertThat(String.join("", template.parts().stream()
                .map(p -> ((VarTemplate.Literal) p).text()).toList())).isEqualTo(text);
    }

    @Test
    void parseWhenExtraParenthesesSurroundAReferenceThenTheInnerOneIsFound() throws Exception {
        VarTemplate template = VarTemplate.parse("(((x)))");

        assertThat(template.parts()).containsExactly(
                new VarTemplate.Literal("("),
                new VarTemplate.Reference(VarReference.of(null, "x"), "((x))"),
                new VarTemplate.Literal(")"));
    }

    @Test
    void parseWhenQuoteIsNeverClosedThenUnbalancedQuoteIsReported() {
        assertThatThrownBy(() -> VarTemplate.parse("((hvjwt:\"a.b))"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((hvjwt:\"a.b)): unbalanced quote");
    }

    @Test
    void parseWhenShellQuoteClosesAnUnbalancedReferenceQuoteThenItIsStillReported() {
        assertThatThrownBy(() -> VarTemplate.parse("test \"((hvjwt:\"a.b))\" = \"x\""))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((hvjwt:\"a.b))\": unbalanced quote"
                        + " (a quoted segment must be followed by '.', ':' or '))')");
    }

    @Test
    void parseWhenQuoteRunsIntoALineBreakThenUnbalancedQuoteIsReportedForThatLine() {
        assertThatThrownBy(() -> VarTemplate.parse("((s:\"abc\nmore text\"))"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((s:\"abc: unbalanced quote");
    }

    @Test
    void parseWhenQuotedReferenceIsNotClosedThenMissingParenthesesIsReported() {
        assertThatThrownBy(() -> VarTemplate.parse("((s:\"abc\".d"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((s:\"abc\".d: missing '))'");
    }

    @Test
    void parseWhenCandidateHasOnlyAllowedCharactersThenItsSyntaxErrorIsReported() {
        assertThatThrownBy(() -> VarTemplate.parse("value: ((a:b..c))"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("((a:b..c)): empty segment after 'b' (two dots in a row)");
        assertThatThrownBy(() -> VarTemplate.parse("(())"))
                .isInstanceOf(VarSyntaxException.class)
                .hasMessage("(()): empty reference");
    }

    @Test
    void parseWhenVeryLongUnterminatedQuoteThenTheErrorQuotesOnlyTheStart() {
        String text = "((s:\"" + "x".repeat(500);

        assertThatThrownBy(() -> VarTemplate.parse(text))
                .isInstanceOf(VarSyntaxException.class)
                .satisfies(e -> assertThat(((VarSyntaxException) e).reference()).hasSize(123).endsWith("..."));
    }

    @Test
    void referencesWhenRepeatedThenEachOccurrenceIsListed() throws Exception {
        assertThat(VarTemplate.parse("((a)) and ((a))").references()).hasSize(2);
    }
}
