package org.cijwt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cijwt.config.Durations;
import org.cijwt.errors.ExitCode;
import org.cijwt.web.Setting;
import org.cijwt.web.WebConfig;
import org.cijwt.web.WebConfigLoader;
import org.cijwt.web.WebProcess;
import org.cijwt.web.WebServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code ci-jwt serve}: publishes discovery and JWKS and answers introspection until SIGTERM.
 * Flags override environment variables, which override the config file. Its options are made from
 * {@link Setting}, the one table of serve's settings; the key options are {@link KeyOptions}', as
 * on every verb that reads keys.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve OIDC discovery, the JWKS, RFC 7662 introspection, health and metrics.",
                "Each setting is read from the config file, then CI_JWT_* environment variables, then flags; see web-endpoint/README.md."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON config file.")
    Path config;

    @Spec
    CommandSpec spec;

    private ServeCommand() {
    }

    /** The {@code serve} command: {@code --config}, then one option per {@link Setting}, in the table's order. */
    static CommandSpec create() {
        ServeCommand command = new ServeCommand();
        CommandSpec spec = CommandSpec.forAnnotatedObject(command);
        for (Setting s : Setting.values()) {
            if (s == Setting.KEYS) {
                spec.addMixin("keys", CommandSpec.forAnnotatedObject(new KeyOptions()));
            } else if (!s.keyOption()) {
                spec.addOption(option(s));
            }
        }
        return spec;
    }

    private static OptionSpec option(Setting s) {
        OptionSpec.Builder b = OptionSpec.builder(s.flag())
                .paramLabel(s.label())
                .description(s.description() + " Default: " + s.defaultText() + "; $" + s.envVar() + ".");
        switch (s.kind()) {
            case LIST -> b.type(List.class).auxiliaryTypes(String.class).splitRegex(",");
            case FILES -> b.type(List.class).auxiliaryTypes(Path.class).splitRegex(",");
            case FILE -> b.type(Path.class);
            case DURATION -> b.type(Duration.class).converters(new DurationConverter());
            case NUMBER -> b.type(Integer.class);
            case SWITCH -> b.type(Boolean.class).arity("1");
            case TEXT -> b.type(String.class);
            default -> throw new IllegalStateException("setting kind " + s.kind() + " has no option type");
        }
        return b.build();
    }

    @Override
    public Integer call() throws Exception {
        WebConfig cfg = WebConfigLoader.load(config, System.getenv(), flags(spec));
        try (WebProcess process = WebServer.run(cfg)) {
            PrintWriter out = spec.commandLine().getOut();
            out.println("ci-jwt " + process.describe());
            out.println("discovery: " + process.server().discoveryUri());
            out.flush();
            process.awaitShutdown();
        }
        return ExitCode.OK;
    }

    /** The settings given as flags, as text in the settings' own syntax (a duration as {@code 90s}). */
    static Map<Setting, List<String>> flags(CommandSpec spec) {
        ParseResult parsed = spec.commandLine().getParseResult();
        Map<Setting, List<String>> f = new EnumMap<>(Setting.class);
        for (Setting s : Setting.values()) {
            if (parsed.hasMatchedOption(s.flag())) {
                Object value = spec.findOption(s.flag()).getValue();
                List<?> values = value instanceof List<?> list ? list : List.of(value);
                f.put(s, values.stream().map(v -> v instanceof Duration d ? Durations.format(d) : v.toString()).toList());
            }
        }
        return f;
    }
}
