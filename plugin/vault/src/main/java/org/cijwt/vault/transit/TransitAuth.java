package org.cijwt.vault.transit;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How the signer gets its Vault token: a token given by the operator (environment or a file that a
 * Vault Agent keeps fresh), an AppRole login, a login with a JWT (the Kubernetes auth method with
 * the pod's service-account token, or the JWT auth method), or a login with the TLS client
 * certificate (the cert auth method). {@link #toString()} never shows a
 * secret.
 */
public sealed interface TransitAuth {

    /** Names the method in messages, e.g. {@code AppRole login at auth/approle}. */
    String describe();

    /**
     * A token from {@code $VAULT_TOKEN}/{@code $BAO_TOKEN} or from a file that is read again when it
     * changes (a Vault Agent sink).
     *
     * @param value the token from the environment, if that is where it comes from
     * @param envName the variable it came from, for messages
     * @param file the token file, if that is where it comes from
     */
    record Token(Optional<String> value, String envName, Optional<Path> file) implements TransitAuth {
        public Token {
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(file, "file");
        }

        @Override
        public String describe() {
            return file.map(f -> "the token in " + f).orElse("the token in $" + envName);
        }

        @Override
        public String toString() {
            return "Token[" + describe() + ", value=<redacted>]";
        }
    }

    /**
     * An AppRole login: {@code POST auth/<mount>/login} with the role id and the secret id, which is
     * read from its file at every login (it may be rotated).
     */
    record AppRole(String mount, String roleId, Path secretIdFile) implements TransitAuth {
        @Override
        public String describe() {
            return "AppRole login at auth/" + mount;
        }

        @Override
        public String toString() {
            return "AppRole[auth/" + mount + ", secret_id_file=" + secretIdFile + "]";
        }
    }

    /**
     * A login with a JWT read from a file at every login: {@code POST auth/<mount>/login} with
     * {@code role} and {@code jwt}. The Kubernetes auth method (the projected service-account token,
     * which the kubelet rotates) and the JWT auth method take the same request.
     *
     * @param method {@code kubernetes} or {@code jwt}
     */
    record JwtLogin(String method, String mount, String role, Path jwtFile) implements TransitAuth {
        @Override
        public String describe() {
            return (method.equals("kubernetes") ? "Kubernetes" : "JWT") + " login at auth/" + mount + " as role " + role;
        }

        @Override
        public String toString() {
            return "JwtLogin[" + describe() + ", jwt_file=" + jwtFile + "]";
        }
    }

    /**
     * A login with the TLS client certificate of the settings: {@code POST auth/<mount>/login},
     * naming the cert role when one is given.
     */
    record Cert(String mount, Optional<String> role) implements TransitAuth {
        @Override
        public String describe() {
            return "TLS certificate login at auth/" + mount + role.map(r -> " as role " + r).orElse("");
        }
    }
}
