package org.cijwt.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The binding rules every configuration file shares, on small types of the test's own. */
class ConfigBinderTest {

    record Item(String name, Duration every) {
        @JsonCreator
        static Item of(@JsonProperty("name") String name, @JsonProperty("every") Duration every) throws SettingException {
            if ("bad".equals(name)) {
                throw new SettingException(ErrorCode.SETTING_INVALID, "name", "may not be 'bad'");
            }
            if ("bug".equals(name)) {
                throw new IllegalStateException("a bug, not a rule");
            }
            return new Item(name, every);
        }
    }

    record Doc(String title, int count, boolean enabled, Duration maxAge, List<Item> items) {
        @JsonCreator
        static Doc of(@JsonProperty("title") String title, @JsonProperty("count") Integer count,
                      @JsonProperty("enabled") Boolean enabled, @JsonProperty("max_age") Duration maxAge,
                      @JsonProperty("items") List<Item> items) throws SettingException {
            if (title == null) {
                throw new SettingException(ErrorCode.SETTING_INVALID, "title", "is required");
            }
            return new Doc(title, count == null ? 1 : count, Boolean.TRUE.equals(enabled), maxAge, items == null ? List.of() : items);
        }
    }

    @TempDir
    Path dir;

    @Test
    void readWhenEveryValueHasItsTypeThenBoundWithSnakeCaseKeys() throws Exception {
        Doc doc = ConfigBinder.read("title: t\ncount: 3\nenabled: true\nmax_age: 1h30m\nitems:\n  - {name: a, every: 0}\n",
                Doc.class, "d");

        assertThat(doc).isEqualTo(new Doc("t", 3, true, Duration.ofMinutes(90), List.of(new Item("a", Duration.ZERO))));
    }

    @Test
    void readWhenACreatorBreaksARuleThenThePathIsThatOfTheObjectPlusTheRule() {
        assertThatThrownBy(() -> ConfigBinder.read("title: t\nitems: [{name: a}, {name: bad}]\n", Doc.class, "d"))
                .hasMessage("d: items[1].name: may not be 'bad'")
                .extracting(e -> ((CiJwtException) e).code()).isEqualTo(ErrorCode.SETTING_INVALID);
        assertThatThrownBy(() -> ConfigBinder.read("count: 2\n", Doc.class, "d")).hasMessage("d: title: is required");
    }

    @Test
    void readWhenAKeyIsUnknownThenItIsReportedBeforeAnyRuleOfTheCreator() {
        CiJwtException e = assertThrows(CiJwtException.class, () -> ConfigBinder.read("titel: t\n", Doc.class, "d"));

        assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_UNKNOWN_KEY);
        assertThat(e.getMessage()).isEqualTo("d: unknown key 'titel' (known keys: title, count, enabled, max_age, items)");
        assertThat(assertThrows(CiJwtException.class, () -> ConfigBinder.read("title: t\nmaxAge: 1s\n", Doc.class, "d")).code())
                .as("camelCase is not the key").isEqualTo(ErrorCode.CONFIG_UNKNOWN_KEY);
        assertThatThrownBy(() -> ConfigBinder.read("title: t\nitems: [{name: a, evry: 1s}]\n", Doc.class, "d"))
                .hasMessage("d: items[0]: unknown key 'evry' (known keys: name, every)");
    }

    @Test
    void readWhenAValueHasAnotherTypeThenRefusedNamingBothTypes() {
        assertThatThrownBy(() -> ConfigBinder.read("title: 5\n", Doc.class, "d")).hasMessage("d: title: must be a string, not a whole number");
        assertThatThrownBy(() -> ConfigBinder.read("title: t\ncount: '5'\n", Doc.class, "d"))
                .hasMessage("d: count: must be a whole number, not a string");
        assertThatThrownBy(() -> ConfigBinder.read("title: t\ncount: 2.5\n", Doc.class, "d"))
                .hasMessage("d: count: must be a whole number, not a number");
        assertThatThrownBy(() -> ConfigBinder.read("title: t\nenabled: 1\n", Doc.class, "d"))
                .hasMessage("d: enabled: must be true or false, not a whole number");
        assertThatThrownBy(() -> ConfigBinder.read("title: t\nenabled: on\n", Doc.class, "d"))
                .hasMessage("d: enabled: must be true or false, not a string");
        assertThatThrownBy(() -> ConfigBinder.read("title: t\nitems: {name: a}\n", Doc.class, "d"))
                .hasMessage("d: items: must be a list, not a mapping");
        assertThatThrownBy(() -> ConfigBinder.read("title: [t]\n", Doc.class, "d")).hasMessage("d: title: must be a string, not a list");
        assertThatThrownBy(() -> ConfigBinder.read("title: t\ncount: 3000000000\n", Doc.class, "d"))
                .hasMessage("d: count: is a number out of range");
    }

    @Test
    void readWhenADurationIsANumberThenOnlyZeroIsAccepted() throws Exception {
        assertThat(ConfigBinder.read("title: t\nmax_age: 0\n", Doc.class, "d").maxAge()).isZero();
        assertThatThrownBy(() -> ConfigBinder.read("title: t\nmax_age: 60\n", Doc.class, "d"))
                .hasMessage("d: max_age: is a bare number, but a duration needs its unit (e.g. 90s, 10m, 1h, 7d, or 0)");
        assertThatThrownBy(() -> ConfigBinder.read("title: t\nmax_age: [1s]\n", Doc.class, "d"))
                .hasMessage("d: max_age: must be a duration (e.g. 90s, 10m, 1h, 7d, or 0)");
    }

    @Test
    void readWhenAValueIsNullOrEmptyThenRefusedRatherThanDefaulted() {
        assertThatThrownBy(() -> ConfigBinder.read("title: t\ncount:\n", Doc.class, "d"))
                .hasMessage("d: count: has no value (leave the key out to use its default)");
        assertThatThrownBy(() -> ConfigBinder.read("title: t\nitems: [~]\n", Doc.class, "d"))
                .hasMessage("d: items[0]: has no value (leave the key out to use its default)");
    }

    @Test
    void readWhenACreatorFailsWithABugThenItIsAnInternalErrorNotARejectedInput() {
        assertThatThrownBy(() -> ConfigBinder.read("title: t\nitems: [{name: bug}]\n", Doc.class, "d"))
                .isInstanceOf(IllegalStateException.class).hasMessage("a bug, not a rule");
    }

    @Test
    void readWhenTheFileEndsInJsonThenItIsReadAsJsonWithTabs() throws Exception {
        Path file = Files.writeString(dir.resolve("d.json"), "{\n\t\"title\": \"t\",\n\t\"count\": 2\n}\n");

        assertThat(ConfigBinder.read(file, Doc.class, "doc").count()).isEqualTo(2);
    }

    @Test
    void readWhenTheFileIsMissingNotUtf8OrNotYamlThenUnreadableNamingIt() throws Exception {
        Path missing = dir.resolve("none.yaml");
        Path binary = Files.write(dir.resolve("b.yaml"), new byte[] {(byte) 0xff, (byte) 0xfe, 0x00});
        Path broken = Files.writeString(dir.resolve("x.yaml"), "title: [t\n");

        for (Path p : List.of(missing, binary, broken)) {
            CiJwtException e = assertThrows(CiJwtException.class, () -> ConfigBinder.read(p, Doc.class, "doc"));
            assertThat(e.code()).isEqualTo(ErrorCode.CONFIG_UNREADABLE);
            assertThat(e.getMessage()).startsWith("doc " + p + " ");
        }
    }

    @Test
    void bindWhenGivenAWhereThenItWritesEveryMessage() {
        ConfigBinder.Where where = (path, rule) -> "<" + path + "|" + rule + ">";

        assertThatThrownBy(() -> ConfigBinder.bind(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("count", 1),
                Doc.class, where)).hasMessage("<title|is required>");
    }

    @Test
    void keysWhenAskedThenTheKeysTheTypeBinds() {
        assertThat(ConfigBinder.keys(Doc.class)).isEqualTo(Set.of("title", "count", "enabled", "max_age", "items"));
    }
}
