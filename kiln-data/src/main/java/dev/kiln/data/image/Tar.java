package dev.kiln.data.image;

import dev.kiln.data.InvalidDataException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Just enough of the tar format (POSIX ustar, with GNU long names) to pull named files out of a dataset
 * archive such as {@code cifar-10-binary.tar.gz} without unpacking it to disk. Each 512-byte header holds
 * the name (bytes 0..99, plus the ustar prefix at 345..499), the size in octal (124..135), a checksum
 * (148..155) and the entry type (156); the contents follow, padded to 512 bytes; two zero blocks end it.
 * Headers whose checksum is wrong are refused, so a damaged or non-tar stream fails at its first header.
 */
final class Tar {
    private static final int BLOCK = 512;

    private Tar() {}

    /**
     * The regular files of the archive whose base name (after the last '/') {@code wanted} accepts, by base
     * name, in archive order. Reads {@code in} to the end of the archive; does not close it.
     *
     * @param archive the archive's name, for messages
     * @throws InvalidDataException when a header is damaged or the archive ends inside an entry
     */
    static Map<String, byte[]> read(InputStream in, Predicate<String> wanted, String archive) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        byte[] header = new byte[BLOCK];
        String longName = null;
        long offset = 0;
        while (true) {
            int got = in.readNBytes(header, 0, BLOCK);
            if (got == 0 && offset > 0) break;   // some writers omit the end-of-archive blocks
            if (got < BLOCK) {
                throw new InvalidDataException(archive + " is not a complete tar archive: expected a 512-byte header at byte "
                        + offset + " but only " + got + " bytes were left; the file is truncated or not a tar.gz");
            }
            if (isZero(header)) break;
            checkChecksum(header, archive, offset);
            long size = octal(header, 124, 12, archive, offset);
            char type = (char) header[156];
            String name = longName != null ? longName : name(header);
            longName = null;
            offset += BLOCK;
            long padded = (size + BLOCK - 1) / BLOCK * BLOCK;
            String base = name.substring(name.lastIndexOf('/') + 1);
            boolean regular = type == '0' || type == '\0';
            if (type == 'L' || (regular && wanted.test(base))) {
                if (size > Integer.MAX_VALUE - 8) {
                    throw new InvalidDataException(archive + ": entry " + name + " claims " + size + " bytes, more than an array holds");
                }
                byte[] body = in.readNBytes((int) size);
                if (body.length < size) throw truncated(archive, name, size, body.length);
                skip(in, padded - size, archive, name);
                if (type == 'L') {
                    longName = new String(body, StandardCharsets.UTF_8).replace("\0", "");
                } else {
                    out.put(base, body);
                }
            } else {
                skip(in, padded, archive, name);
            }
            offset += padded;
        }
        return out;
    }

    private static InvalidDataException truncated(String archive, String name, long want, long got) {
        return new InvalidDataException(archive + " is truncated: entry " + name + " needs " + want + " bytes but the archive ended after "
                + got + "; download it again");
    }

    private static void skip(InputStream in, long n, String archive, String name) throws IOException {
        long left = n;
        byte[] buf = new byte[8192];
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) throw truncated(archive, name, n, n - left);
            left -= r;
        }
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private static String name(byte[] h) {
        String name = cString(h, 0, 100);
        boolean ustar = new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        String prefix = ustar ? cString(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private static String cString(byte[] h, int from, int len) {
        int end = from;
        while (end < from + len && h[end] != 0) end++;
        return new String(h, from, end - from, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] h, int from, int len, String archive, long offset) {
        long v = 0;
        boolean digits = false;
        for (int i = from; i < from + len; i++) {
            int c = h[i] & 0xFF;
            if (c == 0 || c == ' ') {
                if (digits) break;
                continue;
            }
            if (c < '0' || c > '7') {
                throw new InvalidDataException(archive + ": the tar header at byte " + offset + " has a non-octal number field ("
                        + cString(h, from, len) + "); the archive is damaged or uses an unsupported tar variant");
            }
            v = v * 8 + (c - '0');
            digits = true;
        }
        return v;
    }

    /** The header checksum is the unsigned byte sum with the checksum field itself read as eight spaces. */
    private static void checkChecksum(byte[] h, String archive, long offset) {
        long stored = octal(h, 148, 8, archive, offset);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xFF);
        if (sum != stored) {
            throw new InvalidDataException(archive + ": the tar header at byte " + offset + " has checksum " + stored + " but its bytes sum to "
                    + sum + "; the file is damaged or is not a tar archive");
        }
    }
}
