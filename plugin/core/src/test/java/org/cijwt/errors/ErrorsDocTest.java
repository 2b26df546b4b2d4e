package org.cijwt.errors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.ProjectPaths;
import org.junit.jupiter.api.Test;

/** docs/errors.md's error table is the documentation of {@link ErrorCode}: same codes, same order, same words. */
class ErrorsDocTest {
    private static final Pattern ROW = Pattern.compile("^\\| `(CJ\\d{3})` \\| (.+) \\|$", Pattern.MULTILINE);

    @Test
    void errorsDocWhenReadThenItsErrorTableListsEveryCodeWithItsSummary() throws Exception {
        String doc = Files.readString(ProjectPaths.repoRoot().resolve("docs").resolve("errors.md"));
        Matcher m = ROW.matcher(doc);
        StringBuilder documented = new StringBuilder();
        while (m.find()) {
            documented.append(m.group(1)).append(' ').append(m.group(2)).append('\n');
        }
        StringBuilder expected = new StringBuilder();
        Arrays.stream(ErrorCode.values()).forEach(c -> expected.append(c.id()).append(' ').append(c.summary()).append('\n'));
        assertThat(documented.toString()).isEqualTo(expected.toString());
    }

    @Test
    void errorCodesWhenListedThenEachIdIsUsedOnce() {
        List<String> ids = Arrays.stream(ErrorCode.values()).map(ErrorCode::id).toList();
        assertThat(ids).doesNotHaveDuplicates();
    }
}
