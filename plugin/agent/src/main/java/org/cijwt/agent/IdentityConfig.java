package org.cijwt.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.cijwt.concourse.ConcourseClient;
import org.cijwt.concourse.ConcourseSettings;
import org.cijwt.config.SettingException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;

/**
 * Where the agent learns which build a container belongs to, as the operator set it (the agent
 * config's keys, or the same names as flags, which win): {@code identity_source} and, for the
 * {@code concourse} source, {@code concourse_url}, {@code concourse_user},
 * {@code concourse_password_file}, {@code concourse_ca_file}, {@code concourse_timeout},
 * {@code concourse_step_types} and {@code concourse_fail_open}. {@link #open()} makes the source.
 */
public record IdentityConfig(String source, String concourseUrl, String concourseUser, Path concoursePasswordFile,
                             Path concourseCaFile, Duration concourseTimeout, Set<String> stepTypes, boolean failOpen) {
    public static final String SOURCE = "identity_source";
    public static final String STEP_TYPES = "concourse_step_types";
    public static final String FAIL_OPEN = "concourse_fail_open";
    /** Step types Concourse runs in containers. */
    private static final Set<String> KNOWN_STEP_TYPES = Set.of("task", "get", "put", "check");

    /** The default: the {@code annotation} source, for a caller the operator trusts. */
    public static final IdentityConfig ANNOTATION = new IdentityConfig(AnnotationIdentity.NAME, null, null, null, null, null,
            ConcourseIdentity.DEFAULT_STEP_TYPES, false);

    public IdentityConfig {
        Objects.requireNonNull(source, "source");
        stepTypes = stepTypes == null ? ConcourseIdentity.DEFAULT_STEP_TYPES : Set.copyOf(stepTypes);
    }

    /**
     * Checks the settings together: a known source, a known step type, and no Concourse setting
     * without the {@code concourse} source (a forgotten {@code identity_source} must not leave the
     * agent trusting annotations while the operator thinks it asks Concourse).
     */
    public IdentityConfig validated() throws CiJwtException {
        String s = source.toLowerCase(Locale.ROOT);
        if (!s.equals(AnnotationIdentity.NAME) && !s.equals(ConcourseIdentity.NAME)) {
            throw new SettingException(ErrorCode.SETTING_INVALID, SOURCE, "'" + Printable.of(source)
                    + "' is neither annotation nor concourse");
        }
        for (String type : stepTypes) {
            if (!KNOWN_STEP_TYPES.contains(type)) {
                throw new SettingException(ErrorCode.SETTING_INVALID, STEP_TYPES, "'" + Printable.of(type)
                        + "' is not one of " + String.join(", ", new TreeSet<>(KNOWN_STEP_TYPES)));
            }
        }
        boolean concourseSet = concourseUrl != null || concourseUser != null || concoursePasswordFile != null
                || concourseCaFile != null || concourseTimeout != null || failOpen;
        if (s.equals(AnnotationIdentity.NAME) && concourseSet) {
            throw new SettingException(ErrorCode.OPTIONS_CONFLICT, SOURCE, "is annotation, but Concourse settings are given;"
                    + " set identity_source: concourse to ask Concourse, or drop them");
        }
        if (s.equals(ConcourseIdentity.NAME)) {
            ConcourseSettings.of(concourseUrl, concourseUser, concoursePasswordFile, concourseCaFile, concourseTimeout);
        }
        return new IdentityConfig(s, concourseUrl, concourseUser, concoursePasswordFile, concourseCaFile, concourseTimeout,
                stepTypes, failOpen);
    }

    /** The identity source these settings name; for {@code concourse}, logged in already, so a bad set-up fails at start. */
    public IdentitySource open() throws CiJwtException {
        IdentityConfig c = validated();
        if (c.source().equals(AnnotationIdentity.NAME)) {
            return new AnnotationIdentity();
        }
        ConcourseClient client = ConcourseClient.create(ConcourseSettings.of(concourseUrl, concourseUser, concoursePasswordFile,
                concourseCaFile, concourseTimeout));
        try {
            client.login();
        } catch (CiJwtException e) {
            if (!failOpen) {
                client.close();
                throw e;
            }
        }
        return new ConcourseIdentity(client, stepTypes, failOpen);
    }

    /** These settings with the flags given on the command line over them (null: not given). */
    public IdentityConfig withFlags(String sourceFlag, String urlFlag, String userFlag, Path passwordFileFlag, Path caFileFlag) {
        return new IdentityConfig(sourceFlag != null ? sourceFlag : source, urlFlag != null ? urlFlag : concourseUrl,
                userFlag != null ? userFlag : concourseUser, passwordFileFlag != null ? passwordFileFlag : concoursePasswordFile,
                caFileFlag != null ? caFileFlag : concourseCaFile, concourseTimeout, stepTypes, failOpen);
    }
}
