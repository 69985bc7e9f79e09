package dev.kiln.serve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * API keys (bearer tokens) and their scopes. A key with scope {@code admin} may also do everything
 * {@code read} allows. With no keys at all the server is open.
 *
 * <p>Keys are kept only as SHA-256 digests and compared with {@link MessageDigest#isEqual}, against every key
 * without stopping early: hashing first makes every comparison the same length, so neither the time to
 * answer nor an early exit tells an attacker how much of a guess was right.
 *
 * <p>Immutable and thread-safe.
 */
public final class ApiKeys {
    /** What a key may do. */
    public enum Scope { READ, ADMIN }

    private record Key(byte[] digest, Scope scope) {}

    private final List<Key> keys;

    private ApiKeys(List<Key> keys) {
        this.keys = List.copyOf(keys);
    }

    /** No keys: every request is allowed. */
    public static ApiKeys none() {
        return new ApiKeys(List.of());
    }

    /**
     * Keys from text: one per line or comma-separated, each {@code <token>} (read scope) or
     * {@code <token>:<scope>} / {@code <token> <scope>} with scope {@code read} or {@code admin}; blank lines
     * and lines starting with {@code #} are skipped. {@code where} names the source in error messages.
     */
    public static ApiKeys parse(String text, String where) {
        List<Key> keys = new ArrayList<>();
        int line = 0;
        for (String l : text.split("\\R")) {
            line++;
            String s = l.strip();
            if (s.isEmpty() || s.startsWith("#")) continue;
            for (String entry : s.split(",")) {
                String e = entry.strip();
                if (e.isEmpty()) continue;
                String[] parts = e.split("[:\\s]+");
                if (parts.length > 2) throw new IllegalArgumentException(where + ", line " + line + ": expected '<token>' or '<token>:<scope>', got " + parts.length + " fields");
                String token = parts[0];
                if (token.length() < 16) {
                    throw new IllegalArgumentException(where + ", line " + line + ": a token must be at least 16 characters long (got " + token.length()
                            + "); generate one with: openssl rand -hex 32");
                }
                Scope scope = Scope.READ;
                if (parts.length == 2) {
                    try {
                        scope = Scope.valueOf(parts[1].toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException ex) {
                        throw new IllegalArgumentException(where + ", line " + line + ": unknown scope '" + parts[1] + "'; use read or admin");
                    }
                }
                keys.add(new Key(sha256(token), scope));
            }
        }
        if (keys.isEmpty()) throw new IllegalArgumentException(where + " holds no keys; write one '<token>:<scope>' per line (scope read or admin)");
        return new ApiKeys(keys);
    }

    /** Keys from a file (see {@link #parse}). */
    public static ApiKeys fromFile(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    public boolean isOpen() {
        return keys.isEmpty();
    }

    /** The scope of {@code token}, or null when it matches no key (or is null). */
    public Scope scopeOf(String token) {
        if (token == null) return null;
        byte[] d = sha256(token);
        Scope found = null;
        for (Key k : keys) {
            // No early exit: the loop costs the same whichever key (if any) matches.
            if (MessageDigest.isEqual(d, k.digest()) && (found == null || k.scope() == Scope.ADMIN)) found = k.scope();
        }
        return found;
    }

    /** Whether {@code token} may do what {@code needed} covers (admin covers read). */
    public boolean allows(String token, Scope needed) {
        if (isOpen()) return true;
        Scope s = scopeOf(token);
        return s != null && (s == Scope.ADMIN || needed == Scope.READ);
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
