package org.cijwt.vault.transit;

import java.util.regex.Pattern;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;

/**
 * The Transit key a {@code transit:MOUNT/KEY} setting names: the secrets engine's mount path
 * (which may hold slashes) and the key's name (the last segment).
 */
public record TransitKeyName(String mount, String key) {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_.-]+");

    /** Parses what follows {@code transit:}, e.g. {@code transit/ci-jwt} or {@code team-a/transit/ci-jwt}. */
    public static TransitKeyName parse(String location) throws CiJwtException {
        String trimmed = location.strip();
        while (trimmed.startsWith("/")) {
            trimmed = trimmed.substring(1);
        }
        int slash = trimmed.lastIndexOf('/');
        if (slash <= 0 || slash == trimmed.length() - 1) {
            throw invalid(location, "expected transit:MOUNT/KEY, e.g. transit:transit/ci-jwt");
        }
        String mount = trimmed.substring(0, slash);
        String key = trimmed.substring(slash + 1);
        for (String segment : (mount + "/" + key).split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                throw invalid(location, "the path segment '" + segment + "' is empty or has characters other than"
                        + " letters, digits, '_', '.' and '-'");
            }
        }
        return new TransitKeyName(mount, key);
    }

    private static CiJwtException invalid(String location, String why) {
        return new CiJwtException(ErrorCode.KEY_SOURCE_INVALID, "setting keys: transit:" + location + ": " + why);
    }

    /** The API path (below {@code /v1/}) that reads the key's versions and public keys. */
    String readPath() {
        return mount + "/keys/" + key;
    }

    /** The API path (below {@code /v1/}) that signs with the key. */
    String signPath() {
        return mount + "/sign/" + key;
    }

    @Override
    public String toString() {
        return mount + "/" + key;
    }
}
