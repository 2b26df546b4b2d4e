package org.cijwt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.cijwt.web.Setting;
import org.cijwt.web.WebConfig;
import org.cijwt.web.WebConfigLoader;
import org.cijwt.errors.ExitCode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/** {@code serve}'s options are made from {@link Setting}: one flag per setting, nothing else but --config and help. */
class ServeCommandTest {

    @Test
    void serveOptionsWhenListedThenOneFlagPerSettingInTheTablesOrderWithItsLabel() {
        CommandSpec spec = ServeCommand.create();
        List<OptionSpec> options = spec.options().stream()
                .filter(o -> !o.usageHelp() && !o.versionHelp() && !o.longestName().equals("--config")).toList();

        assertThat(options).extracting(OptionSpec::longestName)
                .containsExactlyElementsOf(Arrays.stream(Setting.values()).map(Setting::flag).toList());
        for (Setting s : Setting.values()) {
            OptionSpec o = spec.findOption(s.flag());
            assertThat(o.paramLabel()).as(s.flag()).isEqualTo(s.label());
            assertThat(o.names()).as(s.flag()).containsExactly(s.flag());
            String help = String.join(" ", o.description());
            int defaultAt = help.indexOf(" Default: ");
            String text = defaultAt < 0 ? help : help.substring(0, defaultAt);
            if (s.keyOption()) {
                assertThat(s.description()).as(s.flag() + ", declared by KeyOptions").startsWith(text);
            } else {
                assertThat(text).as(s.flag()).isEqualTo(s.description());
            }
        }
    }

    @Test
    void envVarsWhenListedThenEachIsCiJwtAndTheKeyAndNoTwoAreEqual() {
        for (Setting s : Setting.values()) {
            assertThat(s.envVar()).isEqualTo("CI_JWT_" + s.key().toUpperCase(java.util.Locale.ROOT));
        }
        assertThat(Arrays.stream(Setting.values()).map(Setting::envVar)).doesNotHaveDuplicates();
        assertThat(Arrays.stream(Setting.values()).map(Setting::flag)).doesNotHaveDuplicates();
    }

    @Test
    void flagsWhenParsedThenOnlyTheGivenOnesReachTheLoaderInTheSettingsSyntax() throws Exception {
        CommandSpec spec = ServeCommand.create();
        new CommandLine(spec).parseArgs("--leeway", "90s", "--verify-keys", "/a.pem,/b.pem", "--rotation-period", "0",
                "--audiences", "vault", "--audiences", "aws", "--event-loops", "2", "--inline-eddsa", "true");

        Map<Setting, List<String>> flags = ServeCommand.flags(spec);

        assertThat(flags).containsOnlyKeys(Setting.LEEWAY, Setting.VERIFICATION_KEYS, Setting.ROTATION_PERIOD,
                Setting.AUDIENCES, Setting.EVENT_LOOPS, Setting.INLINE_EDDSA);
        assertThat(flags.get(Setting.LEEWAY)).containsExactly("1m30s");
        assertThat(flags.get(Setting.VERIFICATION_KEYS)).containsExactly("/a.pem", "/b.pem");
        assertThat(flags.get(Setting.AUDIENCES)).containsExactly("vault", "aws");
        WebConfig c = WebConfigLoader.load(null, Map.of("CI_JWT_LEEWAY", "5s", "CI_JWT_ROTATION_PERIOD", "30d"), flags);
        assertThat(c.leeway()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.rotation().enabled()).isFalse();
        assertThat(c.eventLoops()).isEqualTo(2);
        assertThat(c.inlineEdDsa()).isTrue();
    }

    @Test
    void serveWhenSettingIsInvalidThenExitsWithoutStarting() {
        assertThat(Main.run("serve", "--leeway", "1h")).as("a value its rule refuses").isEqualTo(ExitCode.REJECTED);
        assertThat(Main.run("serve", "--leeway", "soon")).as("not a duration at all, as on every verb").isEqualTo(ExitCode.USAGE);
        assertThat(Main.run("serve", "--event-loops", "many")).isEqualTo(ExitCode.USAGE);
        assertThat(Main.run("serve", "--no-such-flag")).isEqualTo(ExitCode.USAGE);
    }
}
