package dev.kiln.data.text;

import dev.kiln.data.InvalidDataException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Reading text safely. Files are UTF-8; a leading byte-order mark is dropped. Bytes that are not UTF-8
 * (a Latin-1 file, a truncated download) are by default <em>refused</em> with an error naming the file
 * and the byte offset, because silently replacing them would train a model on garbage without anyone
 * noticing; {@link Malformed#REPLACE} instead writes U+FFFD for each bad sequence and reports how many
 * there were in {@link Decoded#replacements()}, for corpora known to be a little dirty.
 */
public final class Texts {
    private Texts() {}

    /** What to do with bytes that are not UTF-8. */
    public enum Malformed {
        /** Throw {@link InvalidDataException} naming the source and the byte offset (the default). */
        REJECT,
        /** Write U+FFFD for each malformed sequence and count them. */
        REPLACE
    }

    /**
     * Decoded text and what had to be repaired.
     *
     * @param replacements    malformed sequences replaced by U+FFFD (always 0 under {@link Malformed#REJECT})
     * @param firstBadOffset  the byte offset of the first of them, or -1
     */
    public record Decoded(String text, int replacements, long firstBadOffset) {
        public Decoded {
            Objects.requireNonNull(text, "text");
        }
    }

    /** The UTF-8 text of {@code file}, refusing malformed bytes. */
    public static String readUtf8(Path file) {
        return read(file, Malformed.REJECT).text();
    }

    /** The UTF-8 text of {@code file}, malformed bytes handled as {@code malformed} says. */
    public static Decoded read(Path file, Malformed malformed) {
        Objects.requireNonNull(file, "file");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read text file " + file + ": " + e.getMessage(), e);
        }
        return decode(bytes, file.toString(), malformed);
    }

    /**
     * Decodes UTF-8 {@code bytes} from {@code source} (a name for messages).
     *
     * @throws InvalidDataException under {@link Malformed#REJECT} at the first malformed sequence
     */
    public static Decoded decode(byte[] bytes, String source, Malformed malformed) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(malformed, "malformed");
        int start = bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF ? 3 : 0;
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, start, bytes.length - start);
        CharBuffer out = CharBuffer.allocate(bytes.length - start);   // UTF-8 never yields more chars than bytes
        int replaced = 0;
        long first = -1;
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            if (r.isUnderflow()) {
                r = decoder.flush(out);
                if (r.isUnderflow()) break;
            }
            if (r.isError()) {
                int at = in.position();
                if (malformed == Malformed.REJECT) {
                    throw new InvalidDataException(source + ": invalid UTF-8 at byte offset " + at + " (bytes " + hex(bytes, at, r.length())
                            + "); Kiln reads text as UTF-8: convert the file (e.g. iconv -f latin1 -t utf-8), or read it with Texts.Malformed.REPLACE "
                            + "to replace bad bytes with U+FFFD");
                }
                if (first < 0) first = at;
                replaced++;
                out.put('\uFFFD');
                in.position(at + r.length());
            } else if (r.isOverflow()) {
                throw new IllegalStateException("UTF-8 decoding of " + source + " overflowed a buffer sized to its byte count; this is a bug");
            }
        }
        out.flip();
        return new Decoded(out.toString(), replaced, first);
    }

    private static String hex(byte[] b, int at, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = at; i < Math.min(b.length, at + Math.max(n, 1)); i++) sb.append(sb.isEmpty() ? "" : " ").append(String.format("0x%02X", b[i] & 0xFF));
        return sb.toString();
    }

    /**
     * The first {@code maxChars} UTF-16 chars of {@code text}, one fewer when that would split a surrogate
     * pair (so the result is always well-formed); {@code text} itself when it is short enough.
     */
    public static String clip(String text, int maxChars) {
        Objects.requireNonNull(text, "text");
        if (maxChars < 0) throw new IllegalArgumentException("maxChars must be at least 0, got " + maxChars);
        if (text.length() <= maxChars) return text;
        int end = maxChars > 0 && Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return text.substring(0, end);
    }
}
