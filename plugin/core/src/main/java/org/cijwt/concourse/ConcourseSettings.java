package org.cijwt.concourse;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.cijwt.config.SettingException;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.errors.Printable;

/**
 * Where Concourse is and who the agent is there, validated once: the settings {@value #URL},
 * {@value #USER}, {@value #PASSWORD_FILE} and {@value #CA_FILE} (flags {@code --concourse-url} and so
 * on), and how long one answer may take.
 *
 * <p>Plain {@code http} is refused except for a loopback address (as the tests use): the password
 * and the bearer token cross that connection. An {@code https} URL is verified against the CA file
 * when one is given, else against the JVM's trust store.
 *
 * @param url Concourse's external URL, without a path (Concourse serves its API at the root)
 * @param user the local user the agent logs in as; the viewer role on each team is enough
 * @param passwordFile the user's password (first line), a file only its owner may read or write;
 *     read again at each login, so a changed password needs no restart
 * @param caFile the CA certificates (PEM) an {@code https} Concourse is verified against
 * @param timeout how long one operation ({@code identify}, {@code buildStatus}) may take, logins and retries included
 */
public record ConcourseSettings(URI url, String user, Path passwordFile, Optional<Path> caFile, Duration timeout) {
    /** The setting names, as in a configuration file. */
    public static final String URL = "concourse_url";
    public static final String USER = "concourse_user";
    public static final String PASSWORD_FILE = "concourse_password_file";
    public static final String CA_FILE = "concourse_ca_file";
    public static final String TIMEOUT = "concourse_timeout";
    /** How long one operation may take when nothing is set. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** The longest {@link #timeout()}: a container's start waits for it. */
    public static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);

    public ConcourseSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(passwordFile, "passwordFile");
        Objects.requireNonNull(caFile, "caFile");
        Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * Checks each setting by its rule and reads nothing yet but the password file's permissions.
     *
     * @param caFile null for none
     * @param timeout null for {@link #DEFAULT_TIMEOUT}
     * @throws SettingException naming the setting that breaks its rule ({@code CJ401}, {@code CJ404}),
     *     or {@code CJ803} for a password file that is missing, empty or readable by others
     */
    public static ConcourseSettings of(String url, String user, Path passwordFile, Path caFile, Duration timeout)
            throws CiJwtException {
        URI uri = url(url);
        if (user == null || user.isBlank()) {
            throw new SettingException(ErrorCode.SETTING_INVALID, USER, "is required with " + URL);
        }
        if (user.chars().anyMatch(Printable::unsafe) || !user.strip().equals(user)) {
            throw new SettingException(ErrorCode.SETTING_INVALID, USER, "'" + Printable.of(user)
                    + "' has control characters or surrounding spaces");
        }
        if (passwordFile == null) {
            throw new SettingException(ErrorCode.SETTING_INVALID, PASSWORD_FILE, "is required with " + URL);
        }
        PasswordFile.read(passwordFile);
        if (caFile != null && !uri.getScheme().equals("https")) {
            throw new SettingException(ErrorCode.OPTIONS_CONFLICT, CA_FILE, "is for an https " + URL + ", not " + uri);
        }
        Duration t = timeout == null ? DEFAULT_TIMEOUT : timeout;
        if (t.toMillis() < 100 || t.compareTo(MAX_TIMEOUT) > 0) {
            throw new SettingException(ErrorCode.SETTING_INVALID, TIMEOUT, "must lie between 100ms and "
                    + MAX_TIMEOUT.toSeconds() + "s");
        }
        return new ConcourseSettings(uri, user, passwordFile, Optional.ofNullable(caFile), t);
    }

    private static URI url(String url) throws SettingException {
        if (url == null || url.isBlank()) {
            throw new SettingException(ErrorCode.SETTING_INVALID, URL, "is required");
        }
        URI uri;
        try {
            uri = new URI(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (URISyntaxException e) {
            throw new SettingException(ErrorCode.SETTING_INVALID, URL, "is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new SettingException(ErrorCode.SETTING_INVALID, URL, "is not an http or https URL");
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
                || uri.getRawFragment() != null || !(uri.getRawPath() == null || uri.getRawPath().isEmpty())) {
            throw new SettingException(ErrorCode.SETTING_INVALID, URL, "must be scheme, host and port only (like https://ci.example.com)");
        }
        if (scheme.equals("http") && !loopback(uri.getHost())) {
            throw new SettingException(ErrorCode.SETTING_INVALID, URL, "is plain http to " + Printable.of(uri.getHost())
                    + ", which is not a loopback address; the password and the API token would cross the network in"
                    + " clear: use https");
        }
        try {
            return new URI(scheme, null, uri.getHost(), uri.getPort(), null, null, null);
        } catch (URISyntaxException e) {
            throw new SettingException(ErrorCode.SETTING_INVALID, URL, "is not a URL");
        }
    }

    /** A loopback IP literal or {@code localhost}; no name is looked up, so DNS cannot make a host loopback. */
    static boolean loopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        boolean literal = h.matches("[0-9.]+") || h.contains(":");
        if (!literal) {
            return false;
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "ConcourseSettings[" + url + ", user " + user + ", password file " + passwordFile
                + caFile.map(f -> ", CA " + f).orElse("") + ", timeout " + timeout.toMillis() + " ms]";
    }
}
