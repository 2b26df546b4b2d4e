package org.cijwt.vars;

import java.util.Optional;
import org.cijwt.claims.BuildMetadata;

/**
 * A named place that secrets are read from for a build, such as a Vault {@code var_source}; the
 * {@link Interpolator} asks it for the {@code ((name:path))} references that name it.
 *
 * <p>Implementations look up {@link VarReference#path()} and return the whole secret: a string,
 * number or boolean, or a {@code Map}/{@code List}/Jackson {@code JsonNode} holding fields. The
 * interpolator then walks {@link VarReference#fields()}; a source that gives some field a special
 * meaning (Vault's {@code value} key) applies it before returning. Values are secrets: an
 * implementation never puts them in exception messages or logs.
 */
public interface VarSource {

    /** The name references use before the colon, e.g. {@code hvjwt}. */
    String name();

    /**
     * Looks up the secret at {@code reference.path()} for one build.
     *
     * @param reference the reference being resolved; its fields are walked by the caller
     * @param build the build whose identity and scope (team, pipeline) the lookup uses
     * @return the secret, or empty when it does not exist
     * @throws VarResolutionException when the source cannot answer (refused, unreachable); the
     *     message says what happened and need not repeat the reference, which the interpolator adds
     */
    Optional<Object> lookup(VarReference reference, BuildMetadata build) throws VarResolutionException;
}
