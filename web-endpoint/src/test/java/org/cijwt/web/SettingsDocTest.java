package org.cijwt.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cijwt.fixtures.ProjectPaths;
import org.junit.jupiter.api.Test;

/** The {@code serve} table of docs/settings.md is the documentation of {@link Setting}: same rows, same order, same words. */
class SettingsDocTest {

    @Test
    void settingsDocWhenReadThenItsServeTableHasOneRowPerSettingWithItsKeyVariableFlagDefaultAndMeaning() throws Exception {
        String doc = Files.readString(ProjectPaths.repoRoot().resolve("docs").resolve("settings.md"));
        String section = doc.substring(doc.indexOf("\n## `serve`"));
        section = section.substring(0, section.indexOf("\n## ", 1));
        List<String> documented = new ArrayList<>();
        for (String line : section.lines().toList()) {
            if (line.startsWith("| `")) {
                documented.add(line);
            }
        }

        assertThat(documented).containsExactlyElementsOf(Arrays.stream(Setting.values()).map(SettingsDocTest::row).toList());
    }

    /** The row as Markdown writes it; a '|' inside a cell is escaped, or GitHub would start a new cell there. */
    private static String row(Setting s) {
        return "| `" + s.key() + "` | `" + s.envVar() + "` | `" + s.flag() + " " + s.valueLabel().replace("|", "\\|") + "` | "
                + s.defaultText() + " | " + s.description().replace("|", "\\|") + " |";
    }
}
