package org.cijwt.cli;

/**
 * Lets a module that depends on the plugin add a verb to the {@code ci-jwt} command line (the
 * web endpoint adds {@code serve}); found with {@link java.util.ServiceLoader}.
 */
public interface CommandProvider {

    /** A new picocli command object ({@code @Command}-annotated). */
    Object command();
}
