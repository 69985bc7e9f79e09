package dev.kiln.data;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import dev.kiln.core.Shape;

/**
 * An array in the IDX format of the MNIST files (LeCun et al.), read into floats.
 *
 * <p>Layout, all big-endian: two zero bytes, a type byte, a rank byte, {@code rank} 32-bit dimensions,
 * then the elements row-major. Files may be raw or gzip-compressed; gzip is recognised by its magic
 * bytes {@code 1f 8b}, never by the file name, because the MNIST mirrors and unpacked copies disagree on
 * names. {@code int} values above 2^24 and {@code double} values lose precision as floats, which does not
 * matter for pixels and labels.
 *
 * <p>The record wraps its arrays without copying them.
 *
 * @param type  the element type stored in the file
 * @param shape the dimensions, e.g. {@code (60000, 28, 28)}
 * @param data  the elements, row-major, as floats
 */
public record Idx(Type type, int[] shape, float[] data) {

    /** The IDX element types, with their type byte and width in bytes. */
    public enum Type {
        UBYTE(0x08, 1), BYTE(0x09, 1), SHORT(0x0B, 2), INT(0x0C, 4), FLOAT(0x0D, 4), DOUBLE(0x0E, 8);

        final int code;
        final int width;

        Type(int code, int width) {
            this.code = code;
            this.width = width;
        }

        static Type ofCode(int code) {
            for (Type t : values()) if (t.code == code) return t;
            return null;
        }
    }

    /** Ranks above this are treated as a damaged header: no real IDX file has more than a handful. */
    static final int MAX_RANK = 16;
    private static final int CHUNK = 1 << 16;   // a multiple of every element width

    public Idx {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        if (Shape.size(shape) != data.length) {
            throw new IllegalArgumentException("IDX shape " + Shape.str(shape) + " needs " + Shape.size(shape)
                    + " elements but the data has " + data.length);
        }
    }

    /** The number of items: the first dimension. */
    public int count() {
        return shape.length == 0 ? 1 : shape[0];
    }

    /**
     * The data as integer class labels, for rank-1 label files.
     *
     * @throws InvalidDataException when the array is not rank 1 or holds a non-integer value
     */
    public int[] labels() {
        if (shape.length != 1) {
            throw new InvalidDataException("labels need a rank-1 IDX array but this one has shape " + Shape.str(shape)
                    + "; did you pass the images file instead of the labels file?");
        }
        int[] out = new int[data.length];
        for (int i = 0; i < data.length; i++) {
            out[i] = (int) data[i];
            if (out[i] != data[i]) {
                throw new InvalidDataException("label " + i + " is " + data[i] + ", not an integer; labels must be class indices");
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads an IDX file, raw or gzip-compressed.
     *
     * @throws InvalidDataException when the file is damaged; the message names the file
     * @throws UncheckedIOException when the file cannot be read
     */
    public static Idx read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read IDX file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads an IDX array from a stream, raw or gzip-compressed; {@code sourceName} (a file name or resource
     * path) is used in error messages. The stream is read to its end but not closed.
     */
    public static Idx read(InputStream stream, String sourceName) {
        try {
            BufferedInputStream buffered = new BufferedInputStream(stream, CHUNK);
            buffered.mark(2);
            boolean gzip = buffered.read() == 0x1f && buffered.read() == 0x8b;
            buffered.reset();
            InputStream in = gzip ? new GZIPInputStream(buffered, CHUNK) : buffered;
            return readRaw(in, sourceName + (gzip ? " (gzip)" : ""));
        } catch (ZipException | EOFException e) {
            throw new InvalidDataException(sourceName + " is not a valid gzip stream (" + e.getMessage()
                    + "); the file is damaged or truncated, so fetch it again", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read IDX data from " + sourceName + ": " + e.getMessage(), e);
        }
    }

    private static Idx readRaw(InputStream in, String name) throws IOException {
        byte[] head = in.readNBytes(4);
        if (head.length < 4) {
            throw new InvalidDataException(name + " is truncated: an IDX header needs at least 4 bytes, found " + head.length);
        }
        if (head[0] != 0 || head[1] != 0) {
            throw new InvalidDataException(name + " has a bad magic number: expected 00 00 <type> <rank>, found "
                    + HexFormat.ofDelimiter(" ").formatHex(head) + "; this is not an IDX file");
        }
        Type type = Type.ofCode(head[2] & 0xFF);
        if (type == null) {
            throw new InvalidDataException(name + " has unknown IDX type byte 0x" + HexFormat.of().toHexDigits(head[2])
                    + "; expected one of 0x08 (ubyte), 0x09 (byte), 0x0b (short), 0x0c (int), 0x0d (float), 0x0e (double)");
        }
        int rank = head[3] & 0xFF;
        if (rank < 1 || rank > MAX_RANK) {
            throw new InvalidDataException(name + " has an absurd rank " + rank + " in its header (expected 1.." + MAX_RANK + "); the file is damaged");
        }
        byte[] dimBytes = in.readNBytes(4 * rank);
        if (dimBytes.length < 4 * rank) {
            throw new InvalidDataException(name + " is truncated: its header promises " + rank + " dimensions ("
                    + 4 * rank + " bytes) but only " + dimBytes.length + " bytes follow");
        }
        ByteBuffer dims = ByteBuffer.wrap(dimBytes);   // big-endian by default
        int[] shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++) {
            long d = Integer.toUnsignedLong(dims.getInt());
            count *= d;
            if (d > Integer.MAX_VALUE || count > Integer.MAX_VALUE - 8) {
                throw new InvalidDataException(name + " has absurd dimensions " + describeDims(dimBytes)
                        + " in its header: more than 2^31 elements; the file is damaged");
            }
            shape[i] = (int) d;
        }
        long expected = count * type.width;
        float[] data = readElements(in, type, (int) count, expected, shape, name);
        if (in.read() != -1) {
            throw new InvalidDataException(name + " has more data than its header " + Shape.str(shape) + " (" + type
                    + ", " + expected + " bytes) promises; the file is not a single IDX array");
        }
        return new Idx(type, shape, data);
    }

    /**
     * Reads the elements, growing a raw byte buffer as data arrives rather than trusting the header's size: a
     * damaged header that promises billions of elements then fails as truncated instead of running out of
     * memory. The bytes are decoded into floats once, at the end, into an array of exactly the right size:
     * for ubyte images the transient is the bytes (a quarter of the floats), not a half-grown float array
     * and its copy.
     */
    private static float[] readElements(InputStream in, Type type, int count, long expected, int[] shape, String name) throws IOException {
        byte[] raw = new byte[(int) Math.min(expected, 1 << 24)];
        long found = 0;
        while (found < expected) {
            int want = (int) Math.min(CHUNK, expected - found);
            if (found + want > raw.length) raw = Arrays.copyOf(raw, (int) Math.min(expected, Math.max(2L * raw.length, found + want)));
            int got;
            try {
                got = in.readNBytes(raw, (int) found, want);
            } catch (EOFException e) {
                got = -1;   // the gzip stream ended inside a deflate block
            }
            if (got > 0) found += got;
            if (got < want) {
                throw new InvalidDataException(name + " is truncated: its header " + Shape.str(shape) + " (" + type
                        + ") promises " + expected + " data bytes but only " + found + " were found; fetch the file again");
            }
        }
        float[] out = new float[count];
        ByteBuffer bb = ByteBuffer.wrap(raw);   // big-endian, as IDX stores multi-byte elements
        switch (type) {
            case UBYTE -> { for (int i = 0; i < count; i++) out[i] = raw[i] & 0xFF; }
            case BYTE -> { for (int i = 0; i < count; i++) out[i] = raw[i]; }
            case SHORT -> { for (int i = 0; i < count; i++) out[i] = bb.getShort(); }
            case INT -> { for (int i = 0; i < count; i++) out[i] = bb.getInt(); }
            case FLOAT -> { for (int i = 0; i < count; i++) out[i] = bb.getFloat(); }
            case DOUBLE -> { for (int i = 0; i < count; i++) out[i] = (float) bb.getDouble(); }
        }
        return out;
    }

    private static String describeDims(byte[] dimBytes) {
        ByteBuffer b = ByteBuffer.wrap(dimBytes);
        StringBuilder sb = new StringBuilder("(");
        while (b.hasRemaining()) {
            sb.append(Integer.toUnsignedLong(b.getInt()));
            if (b.hasRemaining()) sb.append(", ");
        }
        return sb.append(')').toString();
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes this array as raw IDX to {@code out} (not closed). Values must fit the type: integers in range
     * for the integer types.
     *
     * @throws IllegalArgumentException naming the first value that does not fit
     */
    public void write(OutputStream out) throws IOException {
        DataOutputStream o = new DataOutputStream(new BufferedOutputStream(out, CHUNK));
        o.writeByte(0);
        o.writeByte(0);
        o.writeByte(type.code);
        o.writeByte(shape.length);
        for (int d : shape) o.writeInt(d);
        for (int i = 0; i < data.length; i++) {
            float v = data[i];
            switch (type) {
                case UBYTE -> o.writeByte(checkedInt(i, v, 0, 255));
                case BYTE -> o.writeByte(checkedInt(i, v, -128, 127));
                case SHORT -> o.writeShort(checkedInt(i, v, Short.MIN_VALUE, Short.MAX_VALUE));
                case INT -> o.writeInt(checkedInt(i, v, Integer.MIN_VALUE, Integer.MAX_VALUE));
                case FLOAT -> o.writeFloat(v);
                case DOUBLE -> o.writeDouble(v);
            }
        }
        o.flush();
    }

    private int checkedInt(int i, float v, int lo, int hi) {
        if (v != Math.rint(v) || v < lo || v > hi) {
            throw new IllegalArgumentException("element " + i + " is " + v + ", which does not fit IDX type " + type
                    + " (integers " + lo + ".." + hi + "); use a wider type or round the data");
        }
        return (int) v;
    }

    /**
     * Writes this array gzip-compressed at the strongest level to {@code file}. The gzip header carries no
     * name and no time, so the same array and zlib give the same bytes.
     */
    public void writeGzip(Path file) {
        try (OutputStream fileOut = Files.newOutputStream(file);
             GZIPOutputStream gz = new GZIPOutputStream(fileOut, CHUNK) {
                 { def.setLevel(Deflater.BEST_COMPRESSION); }
             }) {
            write(gz);
            gz.finish();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write IDX file " + file + ": " + e.getMessage(), e);
        }
    }
}
