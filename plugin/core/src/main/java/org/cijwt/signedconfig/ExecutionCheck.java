package org.cijwt.signedconfig;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.cijwt.errors.Printable;
import org.cijwt.vars.VarSyntaxException;
import org.cijwt.vars.VarTemplate;

/**
 * Checks that what a container is about to run is what was signed: its arguments, working
 * directory, user and environment against the signed task step. Values are compared as
 * templates: a {@code ((var))} in a signed value matches whatever the var source resolved it to,
 * and nothing else may differ.
 */
public final class ExecutionCheck {
    /** Variables a runtime or ci-jwt itself sets, which no task config declares. */
    public static final Set<String> RUNTIME_ENV = Set.of("PATH", "HOME", "HOSTNAME", "TERM", "USER", "LANG",
            "CONCOURSE_CI_JWT", "CONCOURSE_CI_JWT_FILE");

    /**
     * What the container will run, as its runtime spec says.
     *
     * @param privileged whether the container runs as real root with CAP_SYS_ADMIN (no user
     *     namespace), as Concourse runs a {@code privileged: true} step
     */
    public record Process(List<String> args, String cwd, Set<String> user, Map<String, String> env, boolean privileged) {

        /** An unprivileged process. */
        public Process(List<String> args, String cwd, Set<String> user, Map<String, String> env) {
            this(args, cwd, user, env, false);
        }
    }

    private ExecutionCheck() {
    }

    /**
     * Why {@code process} is not what {@code step} says, or empty when it is.
     *
     * @param allowedEnv names beyond {@link #RUNTIME_ENV} that the worker sets itself (the operator's list)
     */
    public static Optional<String> mismatch(JsonNode step, Process process, Set<String> allowedEnv) {
        JsonNode run = step.path("config").path("run");
        List<String> expected = new ArrayList<>();
        expected.add(run.path("path").asText(""));
        run.path("args").forEach(a -> expected.add(a.isTextual() ? a.asText() : a.toString()));
        if (expected.size() != process.args().size()) {
            return Optional.of("command differs: the signed config runs " + expected.size() + " argument(s), the container "
                    + process.args().size());
        }
        for (int i = 0; i < expected.size(); i++) {
            if (!matches(expected.get(i), process.args().get(i))) {
                return Optional.of("command differs: argument " + i + " is not the signed one");
            }
        }
        if (run.hasNonNull("dir")) {
            String dir = run.get("dir").asText();
            String cwd = process.cwd() == null ? "" : process.cwd();
            boolean same = dir.startsWith("/") ? matches(dir, cwd) : matches(dir, cwd) || matchesSuffix(dir, cwd);
            if (!same) {
                return Optional.of("command differs: the working directory is not the signed run.dir");
            }
        }
        if (run.hasNonNull("user") && process.user().stream().noneMatch(u -> matches(run.get("user").asText(), u))) {
            return Optional.of("command differs: the user is not the signed run.user");
        }
        boolean signedPrivileged = step.path("privileged").asBoolean(false);
        if (signedPrivileged != process.privileged()) {
            return Optional.of(signedPrivileged ? "the signed step is privileged, the container is not"
                    : "the container is privileged, the signed step is not");
        }
        Map<String, String> params = signedParams(step);
        for (Map.Entry<String, String> e : process.env().entrySet()) {
            String name = e.getKey();
            if (params.containsKey(name)) {
                if (!matches(params.get(name), e.getValue())) {
                    return Optional.of("param " + name + " differs from the signed value");
                }
            } else if (!RUNTIME_ENV.contains(name) && !allowedEnv.contains(name)) {
                return Optional.of("param " + name + " is not in the signed config");
            }
        }
        for (String signed : params.keySet()) {
            if (!process.env().containsKey(signed)) {
                return Optional.of("param " + signed + " of the signed config is missing");
            }
        }
        return params.containsKey("PATH") ? Optional.empty() : unsignedPath(process.env().get("PATH"), buildRoot(run, process.cwd()));
    }

    /**
     * Why a PATH the signed config does not set could choose another program than the signed one:
     * an empty or relative entry (the working directory), or a directory of the build's own (its
     * inputs and outputs, which the build writes). An image's PATH of system directories passes.
     */
    private static Optional<String> unsignedPath(String path, String buildRoot) {
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(":", -1)) {
            if (!dir.startsWith("/")) {
                return Optional.of("PATH has the relative entry '" + Printable.of(dir) + "', which is not signed: it could run"
                        + " another program than the signed one");
            }
            String normal = java.nio.file.Path.of(dir).normalize().toString();
            if (!buildRoot.isEmpty() && (normal.equals(buildRoot) || normal.startsWith(buildRoot + "/"))) {
                return Optional.of("PATH puts the build's own directory " + Printable.of(dir) + " on it, which is not signed: it"
                        + " could run another program than the signed one");
            }
        }
        return Optional.empty();
    }

    /** The build's working root: the container's working directory, less the signed run.dir under it. */
    private static String buildRoot(JsonNode run, String cwd) {
        String root = cwd == null ? "" : java.nio.file.Path.of(cwd.isEmpty() ? "/" : cwd).normalize().toString();
        String dir = run.path("dir").asText("");
        if (!dir.isEmpty() && !dir.startsWith("/") && root.endsWith("/" + dir)) {
            root = root.substring(0, root.length() - dir.length() - 1);
        }
        return "/".equals(root) ? "" : root;
    }

    /** The config's params with the step-level params over them, as Concourse applies them. */
    private static Map<String, String> signedParams(JsonNode step) {
        Map<String, String> params = new LinkedHashMap<>();
        // A null param is not set at all (Concourse leaves it out of the environment).
        step.path("config").path("params").properties().forEach(p -> putParam(params, p.getKey(), p.getValue()));
        step.path("params").properties().forEach(p -> putParam(params, p.getKey(), p.getValue()));
        return params;
    }

    private static void putParam(Map<String, String> params, String name, JsonNode value) {
        if (value.isNull()) {
            params.remove(name);
        } else {
            params.put(name, scalar(value));
        }
    }

    private static String scalar(JsonNode v) {
        return v.isValueNode() ? v.asText() : v.toString();
    }

    /** True when {@code actual} is {@code template} with each {@code ((var))} replaced by some text. */
    static boolean matches(String template, String actual) {
        return pattern(template, false).matcher(actual).matches();
    }

    private static boolean matchesSuffix(String template, String actual) {
        return pattern(template, true).matcher(actual).matches();
    }

    private static Pattern pattern(String template, boolean anyParent) {
        StringBuilder regex = new StringBuilder(anyParent ? "(?s).*/" : "(?s)");
        try {
            for (VarTemplate.Part part : VarTemplate.parse(template).parts()) {
                if (part instanceof VarTemplate.Literal l) {
                    regex.append(Pattern.quote(l.text()));
                } else {
                    regex.append(".*?");
                }
            }
        } catch (VarSyntaxException e) {
            // Not a template after all (an unbalanced "((" in a literal): compare it as plain text.
            return Pattern.compile((anyParent ? "(?s).*/" : "") + Pattern.quote(template));
        }
        return Pattern.compile(regex.toString());
    }
}
