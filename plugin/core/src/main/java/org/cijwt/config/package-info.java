/**
 * How ci-jwt reads settings: the one duration grammar ({@link org.cijwt.config.Durations}) for
 * flags, files and environment variables, and the one way a configuration file becomes a typed,
 * validated object ({@link org.cijwt.config.ConfigBinder}).
 *
 * <p>To add a configuration file, write the value type as a record and let its
 * {@code @JsonCreator} factory check every rule once, throwing
 * {@link org.cijwt.config.SettingException} with the path of the value that breaks one:
 *
 * <pre>{@code
 * public record Example(String name, Duration timeout) {
 *     @JsonCreator
 *     static Example fromFile(@JsonProperty("name") String name, @JsonProperty("timeout") Duration timeout)
 *             throws SettingException {
 *         if (name == null) {
 *             throw new SettingException(ErrorCode.SETTING_INVALID, "name", "is required");
 *         }
 *         return new Example(name, timeout == null ? Duration.ofSeconds(10) : timeout);
 *     }
 * }
 *
 * Example e = ConfigBinder.read(file, Example.class, "example config");
 * // errors: "example config /etc/x.yml: timeout: is not a duration (e.g. 90s, 10m, 1h, 7d, or 0)"
 * }</pre>
 *
 * <p>Unknown keys, wrong types, {@code null} values, unreadable files and Jackson's own messages are
 * handled by the binder; the type states only its own rules. An unchecked exception from a creator
 * is taken for a bug and reported as an internal error, so a rule must throw {@code SettingException}.
 */
package org.cijwt.config;
