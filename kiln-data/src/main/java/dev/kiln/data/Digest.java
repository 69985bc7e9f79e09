package dev.kiln.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * An expected checksum of a file: the algorithm ({@code SHA-256}, or {@code MD5} where a publisher gives
 * nothing better) and the lowercase hex digest.
 */
public record Digest(String algorithm, String hex) {

    public Digest {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(hex, "hex");
        hex = hex.toLowerCase(Locale.ROOT);
        int want = switch (algorithm) {
            case "SHA-256" -> 64;
            case "MD5" -> 32;
            default -> throw new IllegalArgumentException("digest algorithm must be SHA-256 or MD5, got " + algorithm);
        };
        if (hex.length() != want || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException(algorithm + " digest must be " + want + " hex digits, got \"" + hex + "\"");
        }
    }

    public static Digest sha256(String hex) {
        return new Digest("SHA-256", hex);
    }

    public static Digest md5(String hex) {
        return new Digest("MD5", hex);
    }

    /** A fresh {@link MessageDigest} for this algorithm. */
    MessageDigest newMessageDigest() {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK lacks " + algorithm + ", which every Java SE platform must provide", e);
        }
    }

    /** The digest of {@code file} computed with this record's algorithm, as lowercase hex. */
    public String computeFor(Path file) {
        MessageDigest md = newMessageDigest();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " to check its " + algorithm + ": " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Whether {@code file}'s digest is this one. */
    public boolean matches(Path file) {
        return hex.equals(computeFor(file));
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
