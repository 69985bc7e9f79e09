package dev.kiln.nn.io;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.kiln.core.DType;
import dev.kiln.core.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> layout, the
 * weight half of a {@code .kiln} model file, so that any safetensors tool can open Kiln weights:
 *
 * <pre>
 * [8 bytes]  N, unsigned little-endian: the header length
 * [N bytes]  UTF-8 JSON {"__metadata__": {string: string}, "name": {"dtype": "F32", "shape": [..],
 *            "data_offsets": [begin, end]}, ...}, padded with spaces so the data starts 8-byte aligned
 * [rest]     the tensors' raw little-endian bytes, contiguous, offsets relative to the end of the header
 * </pre>
 *
 * <p>Loading never executes anything: the header is parsed as data, and every size in it is checked
 * against the file's real size before anything is allocated, so a hostile or damaged file gets a
 * {@link ModelFileException} naming the file and the problem rather than an OutOfMemoryError.
 *
 * <p>Thread-safety: stateless; safe to call from any thread.
 */
public final class SafeTensors {
    /** The header limit of the reference implementation; anything larger is damage or an attack. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";
    /** NumPy 2's limit; PyTorch's is lower. */
    private static final int MAX_RANK = 64;
    private static final int CHUNK_BYTES = 1 << 20;
    // Jackson's default 20M-character string limit would reject a large architecture string the header
    // limit allows, so the header limit governs instead.
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength((int) MAX_HEADER_BYTES).build())
            .build();

    private SafeTensors() {}

    /**
     * What a safetensors file holds: tensors in the order their data lies in the file (which is insertion
     * order for files Kiln wrote) and the {@code __metadata__} strings in header order. Both maps are
     * unmodifiable.
     */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        public Contents {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    /** One tensor's header entry; offsets are relative to the start of the data section. */
    private record Entry(String name, DType dtype, int[] shape, long begin, long end) {
        String range() {
            return "[" + begin + ", " + end + "]";
        }
    }

    /** A parsed and validated header; entries are in data order. */
    private record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

    // ---------------------------------------------------------------- writing

    /**
     * Writes {@code tensors} (in the map's iteration order) and {@code metadata} to {@code file} atomically:
     * an existing file is replaced only once the new one is complete on disk.
     *
     * @throws IllegalArgumentException if a name is {@code __metadata__}, a tensor or metadata entry is null,
     *     or the header would exceed {@link #MAX_HEADER_BYTES}
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<Entry> entries = layout(tensors);
        byte[] header = header(entries, metadata);
        AtomicFiles.writeChannel(file, channel -> writeTo(channel, header, entries, tensors));
    }

    /** The bytes {@link #write} would put in a file, for sending weights over a network or in tests. */
    public static byte[] toBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
        List<Entry> entries = layout(tensors);
        byte[] header = header(entries, metadata);
        long total = 8L + header.length + (entries.isEmpty() ? 0 : entries.getLast().end());
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the safetensors data would be " + total
                    + " bytes, more than one byte array holds; write it to a file with write() instead");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header);
        for (Entry e : entries) {
            Tensor t = tensors.get(e.name());
            if (e.dtype() == DType.FLOAT32) out.asFloatBuffer().put(t.toFloatArray());
            else out.asDoubleBuffer().put(t.toDoubleArray());
            out.position(out.position() + (int) (e.end() - e.begin()));
        }
        return out.array();
    }

    private static List<Entry> layout(Map<String, Tensor> tensors) {
        Objects.requireNonNull(tensors, "tensors is null; pass Map.of() for a file without tensors");
        List<Entry> entries = new ArrayList<>(tensors.size());
        long offset = 0;
        for (Map.Entry<String, Tensor> named : tensors.entrySet()) {
            String name = named.getKey();
            Tensor t = named.getValue();
            if (name == null) throw new IllegalArgumentException("a tensor name is null; every tensor needs a name");
            if (name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor is named \"" + METADATA_KEY
                        + "\", which safetensors reserves for the metadata map; rename the tensor");
            }
            if (t == null) throw new IllegalArgumentException("tensor '" + name + "' is null; leave it out of the map instead");
            long bytes = (long) t.size() * t.dtype().bytes();
            entries.add(new Entry(name, t.dtype(), t.shape(), offset, offset + bytes));
            offset += bytes;
        }
        return entries;
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes so that the data starts aligned. */
    private static byte[] header(List<Entry> entries, Map<String, String> metadata) {
        Objects.requireNonNull(metadata, "metadata is null; pass Map.of() for a file without metadata");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(bytes, JsonEncoding.UTF8)) {
            g.writeStartObject();
            // The reference implementation omits __metadata__ when there is none; so do we.
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(METADATA_KEY);
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    if (m.getKey() == null || m.getValue() == null) {
                        throw new IllegalArgumentException("metadata entry " + m.getKey() + "=" + m.getValue()
                                + " has a null key or value; safetensors metadata maps strings to strings,"
                                + " leave the entry out or store an empty string");
                    }
                    g.writeStringField(m.getKey(), m.getValue());
                }
                g.writeEndObject();
            }
            for (Entry e : entries) {
                g.writeObjectFieldStart(e.name());
                g.writeStringField("dtype", code(e.dtype()));
                g.writeArrayFieldStart("shape");
                for (int d : e.shape()) g.writeNumber(d);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(e.begin());
                g.writeNumber(e.end());
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing JSON to memory cannot fail", e);
        }
        int length = bytes.size();
        int padded = (length + 7) & ~7;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("the safetensors header would be " + padded + " bytes, over the "
                    + MAX_HEADER_BYTES + "-byte limit that safetensors readers enforce; store large data as tensors,"
                    + " not as metadata strings");
        }
        for (int i = length; i < padded; i++) bytes.write(' ');
        return bytes.toByteArray();
    }

    private static void writeTo(FileChannel channel, byte[] header, List<Entry> entries, Map<String, Tensor> tensors)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(header.length).flip();
        AtomicFiles.writeFully(channel, buffer);
        AtomicFiles.writeFully(channel, ByteBuffer.wrap(header));
        for (Entry e : entries) {
            Tensor t = tensors.get(e.name());
            if (e.dtype() == DType.FLOAT32) {
                float[] a = t.toFloatArray();
                for (int done = 0; done < a.length; ) {
                    int n = Math.min(a.length - done, CHUNK_BYTES / Float.BYTES);
                    buffer.clear();
                    buffer.asFloatBuffer().put(a, done, n);
                    buffer.limit(n * Float.BYTES);
                    AtomicFiles.writeFully(channel, buffer);
                    done += n;
                }
            } else {
                double[] a = t.toDoubleArray();
                for (int done = 0; done < a.length; ) {
                    int n = Math.min(a.length - done, CHUNK_BYTES / Double.BYTES);
                    buffer.clear();
                    buffer.asDoubleBuffer().put(a, done, n);
                    buffer.limit(n * Double.BYTES);
                    AtomicFiles.writeFully(channel, buffer);
                    done += n;
                }
            }
        }
    }

    // ---------------------------------------------------------------- reading

    /** Reads every tensor and the metadata of a safetensors file. */
    public static Contents read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Source source = new ChannelSource(channel);
            String name = file.toString();
            Header header = parseHeader(source, name);
            return new Contents(readTensors(source, header, name), header.metadata());
        }
    }

    /** Reads every tensor and the metadata of safetensors bytes held in memory (an upload, a resource). */
    public static Contents read(byte[] bytes) throws IOException {
        Source source = new ArraySource(bytes);
        String name = "(in-memory safetensors bytes)";
        Header header = parseHeader(source, name);
        return new Contents(readTensors(source, header, name), header.metadata());
    }

    /**
     * Reads only the {@code __metadata__} map, checking the whole header but loading no tensor data; cheap
     * even for large files (for version checks and {@code kiln info}).
     */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return Collections.unmodifiableMap(parseHeader(new ChannelSource(channel), file.toString()).metadata());
        }
    }

    /** Random access to the bytes being read: a file or an array. */
    private sealed interface Source {
        long size() throws IOException;

        /** Fills {@code dst} from {@code position}; false if the source ends first. */
        boolean readFully(long position, ByteBuffer dst) throws IOException;
    }

    private record ChannelSource(FileChannel channel) implements Source {
        @Override public long size() throws IOException {
            return channel.size();
        }

        @Override public boolean readFully(long position, ByteBuffer dst) throws IOException {
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position);
                if (n < 0) return false;
                position += n;
            }
            return true;
        }
    }

    private record ArraySource(byte[] bytes) implements Source {
        @Override public long size() {
            return bytes.length;
        }

        @Override public boolean readFully(long position, ByteBuffer dst) {
            int n = dst.remaining();
            if (position + n > bytes.length) return false;
            dst.put(bytes, (int) position, n);
            return true;
        }
    }

    private static Header parseHeader(Source source, String file) throws IOException {
        long size = source.size();
        if (size < 8) {
            throw bad(file, "truncated: the file has " + size + " bytes, but a safetensors file starts with an"
                    + " 8-byte header length; the file was cut off or is not a safetensors file");
        }
        ByteBuffer lengthField = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readOrFail(source, 0, lengthField, file, "the header length");
        long length = lengthField.getLong(0);   // unsigned: a set top bit is a huge length, not a negative one
        if (Long.compareUnsigned(length, MAX_HEADER_BYTES) > 0) {
            throw bad(file, "oversized header: says " + Long.toUnsignedString(length) + " bytes but the limit is "
                    + MAX_HEADER_BYTES + "; " + guessFormat(lengthField.array()));
        }
        if (length > size - 8) {
            throw bad(file, "oversized header: says " + length + " bytes but the file has only " + (size - 8)
                    + " after the 8-byte length field; the file was cut off, copy it again");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) length);
        readOrFail(source, 8, headerBytes, file, "the header");
        Header header = parseJson(headerBytes.array(), file, 8 + length);
        checkLayout(header, size - header.dataStart(), file);
        return header;
    }

    private static Header parseJson(byte[] json, String file, long dataStart) throws IOException {
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        try (JsonParser p = JSON.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw bad(file, "the header is not a JSON object: it holds " + describe(first)
                        + "; a safetensors header is {\"tensor name\": {\"dtype\": ..., \"shape\": ..., \"data_offsets\": ...}, ...}");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (!seen.add(key)) {
                    throw bad(file, "duplicate name '" + key + "' in the header; each tensor and " + METADATA_KEY
                            + " may appear once, so the file is damaged or its writer is broken");
                }
                JsonToken value = p.nextToken();
                if (key.equals(METADATA_KEY)) parseMetadata(p, value, metadata, file);
                else entries.add(parseEntry(p, value, key, file));
            }
            JsonToken after = p.nextToken();
            if (after != null) {
                throw bad(file, "the header holds " + describe(after) + " after its JSON object; only space padding"
                        + " may follow it");
            }
        } catch (JsonProcessingException e) {
            throw bad(file, "the header is not valid JSON: " + e.getOriginalMessage() + " (at byte "
                    + (8 + e.getLocation().getByteOffset()) + " of the file); the file is damaged or not a safetensors file", e);
        }
        // Stable sort: zero-byte tensors sharing an offset keep their header order.
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        return new Header(entries, metadata, dataStart);
    }

    private static void parseMetadata(JsonParser p, JsonToken value, Map<String, String> metadata, String file)
            throws IOException {
        if (value != JsonToken.START_OBJECT) {
            throw bad(file, METADATA_KEY + " is " + describe(value) + ", expected a JSON object of string values");
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            if (v != JsonToken.VALUE_STRING) {
                throw bad(file, METADATA_KEY + " value for key '" + key + "' is " + describe(v) + ", expected a string;"
                        + " safetensors metadata maps strings to strings, so store structured values as JSON text");
            }
            if (metadata.putIfAbsent(key, p.getText()) != null) {
                throw bad(file, "duplicate " + METADATA_KEY + " key '" + key + "'; each key may appear once");
            }
        }
    }

    private static Entry parseEntry(JsonParser p, JsonToken value, String name, String file) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            throw bad(file, "tensor '" + name + "' is described by " + describe(value)
                    + ", expected an object with dtype, shape and data_offsets");
        }
        DType dtype = null;
        int[] shape = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "dtype" -> dtype = parseDType(p, v, name, file);
                case "shape" -> shape = parseShape(p, v, name, file);
                case "data_offsets" -> offsets = parseOffsets(p, v, name, file);
                default -> p.skipChildren();   // the format may grow fields; the reference reader ignores them too
            }
        }
        String missing = dtype == null ? "dtype" : shape == null ? "shape" : offsets == null ? "data_offsets" : null;
        if (missing != null) {
            throw bad(file, "tensor '" + name + "' has no \"" + missing + "\"; every tensor needs dtype, shape and data_offsets");
        }
        Entry e = new Entry(name, dtype, shape, offsets[0], offsets[1]);
        long needed = elementCount(shape) * dtype.bytes();
        if (needed != e.end() - e.begin()) {
            throw bad(file, "tensor '" + name + "': shape " + Arrays.toString(shape) + " of " + code(dtype) + " needs "
                    + (needed < 0 ? "more than 2^63" : needed) + " bytes but data_offsets " + e.range() + " span "
                    + (e.end() - e.begin()) + "; the header is damaged");
        }
        return e;
    }

    private static DType parseDType(JsonParser p, JsonToken v, String name, String file) throws IOException {
        if (v != JsonToken.VALUE_STRING) {
            throw bad(file, "tensor '" + name + "' has a dtype that is " + describe(v) + ", expected a string such as \"F32\"");
        }
        return switch (p.getText()) {
            case "F32" -> DType.FLOAT32;
            case "F64" -> DType.FLOAT64;
            default -> throw bad(file, "tensor '" + name + "' has dtype '" + p.getText() + "', which Kiln cannot read;"
                    + " supported: F32, F64. Convert the weights first, e.g. in PyTorch:"
                    + " save_file({k: v.float() for k, v in tensors.items()}, path)");
        };
    }

    private static int[] parseShape(JsonParser p, JsonToken v, String name, String file) throws IOException {
        if (v != JsonToken.START_ARRAY) {
            throw bad(file, "tensor '" + name + "' has a shape that is " + describe(v) + ", expected an array of dimensions");
        }
        int[] dims = new int[4];
        int rank = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT || p.getIntValue() < 0) {
                throw bad(file, "tensor '" + name + "' has shape entry " + p.getText()
                        + "; dimensions are integers from 0 to " + Integer.MAX_VALUE);
            }
            // A cap, so that a hostile header of a million 1s cannot make us allocate per entry.
            if (rank == MAX_RANK) {
                throw bad(file, "tensor '" + name + "' has more than " + MAX_RANK + " dimensions; no real model needs"
                        + " that many, so the header is damaged");
            }
            if (rank == dims.length) dims = Arrays.copyOf(dims, 2 * rank);
            dims[rank++] = p.getIntValue();
        }
        return Arrays.copyOf(dims, rank);
    }

    private static long[] parseOffsets(JsonParser p, JsonToken v, String name, String file) throws IOException {
        String expected = "; data_offsets is [begin, end] with 0 <= begin <= end, in bytes from the start of the data";
        if (v != JsonToken.START_ARRAY) throw bad(file, "tensor '" + name + "' has data_offsets that are " + describe(v) + expected);
        long[] offsets = new long[2];
        int n = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    || p.getLongValue() < 0) {
                throw bad(file, "tensor '" + name + "' has data_offsets entry " + p.getText() + expected);
            }
            if (n == 2) throw bad(file, "tensor '" + name + "' has more than two data_offsets" + expected);
            offsets[n++] = p.getLongValue();
        }
        if (n != 2) throw bad(file, "tensor '" + name + "' has " + n + " data_offsets" + expected);
        if (offsets[0] > offsets[1]) {
            throw bad(file, "tensor '" + name + "' has reversed data_offsets [" + offsets[0] + ", " + offsets[1] + "]" + expected);
        }
        return offsets;
    }

    /** The element count of a shape, or -1 if it does not fit in a long (which no real file can hold). */
    private static long elementCount(int[] shape) {
        long count = 1;
        for (int d : shape) {
            if (d != 0 && count > Long.MAX_VALUE / 8 / d) return -1;   // /8: the byte count must fit as well
            count *= d;
        }
        return count;
    }

    /**
     * The reference format requires the data section to be covered exactly: tensors sorted by offset must
     * start where the previous one ended, and the last must end where the file ends.
     */
    private static void checkLayout(Header header, long dataSize, String file) throws IOException {
        long expected = 0;
        Entry previous = null;
        for (Entry e : header.entries()) {
            if (e.begin() < expected) {
                throw bad(file, "tensors '" + previous.name() + "' " + previous.range() + " and '" + e.name() + "' "
                        + e.range() + " overlap; every byte of the data belongs to exactly one tensor, so the header is damaged");
            }
            if (e.begin() > expected) {
                throw bad(file, "gap: data bytes [" + expected + ", " + e.begin() + ") belong to no tensor (the next,"
                        + " '" + e.name() + "', starts at " + e.begin() + "); safetensors data is contiguous, so the header is damaged");
            }
            expected = e.end();
            previous = e;
        }
        if (expected > dataSize) {
            Entry outside = header.entries().stream().filter(e -> e.end() > dataSize).findFirst().orElseThrow();
            throw bad(file, "truncated data: the header declares " + expected + " bytes of tensor data but only "
                    + dataSize + " follow it, so tensor '" + outside.name() + "' at data_offsets " + outside.range()
                    + " lies outside the data section; the file was cut off, copy it again");
        }
        if (expected < dataSize) {
            throw bad(file, "trailing bytes: the data section has " + dataSize + " bytes but the tensors account for"
                    + " only " + expected + "; something was appended to the file or its writer is broken");
        }
    }

    private static Map<String, Tensor> readTensors(Source source, Header header, String file) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        long dataSize = header.entries().isEmpty() ? 0 : header.entries().getLast().end();
        // One buffer for the whole read: a chunk of a large tensor, or all of a small file.
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, Math.max(8, dataSize))).order(ByteOrder.LITTLE_ENDIAN);
        for (Entry e : header.entries()) {
            long count = (e.end() - e.begin()) / e.dtype().bytes();
            if (count > Integer.MAX_VALUE - 8) {
                throw bad(file, "tensor '" + e.name() + "' has " + count + " elements, more than a Kiln tensor holds"
                        + " (about 2^31); split it into smaller tensors");
            }
            long position = header.dataStart() + e.begin();
            int n = (int) count;
            int step = chunk.capacity() / e.dtype().bytes();
            if (e.dtype() == DType.FLOAT32) {
                float[] a = new float[n];
                for (int done = 0; done < n; done += step, position += (long) step * Float.BYTES) {
                    int k = Math.min(step, n - done);
                    readOrFail(source, position, chunk.clear().limit(k * Float.BYTES), file, "tensor '" + e.name() + "'");
                    chunk.flip().asFloatBuffer().get(a, done, k);
                }
                tensors.put(e.name(), Tensor.of(a, e.shape()));
            } else {
                double[] a = new double[n];
                for (int done = 0; done < n; done += step, position += (long) step * Double.BYTES) {
                    int k = Math.min(step, n - done);
                    readOrFail(source, position, chunk.clear().limit(k * Double.BYTES), file, "tensor '" + e.name() + "'");
                    chunk.flip().asDoubleBuffer().get(a, done, k);
                }
                tensors.put(e.name(), Tensor.of(a, e.shape()));
            }
        }
        return tensors;
    }

    private static void readOrFail(Source source, long position, ByteBuffer dst, String file, String what)
            throws IOException {
        if (!source.readFully(position, dst)) {
            throw bad(file, "truncated data: the file ended at byte " + source.size() + " while reading " + what
                    + "; was it changed while being read? Copy it again");
        }
    }

    private static String code(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
        };
    }

    private static String describe(JsonToken t) {
        if (t == null) return "nothing";
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
        };
    }

    /** A hint for files that are some other weights format, judged by their first bytes. */
    private static String guessFormat(byte[] first) {
        if (first[0] == 'P' && first[1] == 'K' && first[2] == 3 && first[3] == 4) {
            return "the file is a zip archive (a PyTorch .pt/.pth checkpoint or a .keras file?), not safetensors;"
                    + " convert it, e.g. with safetensors.torch.save_file(torch.load(path), 'model.safetensors')";
        }
        if ((first[0] & 0xff) == 0x80 && first[1] >= 2 && first[1] <= 5) {
            return "the file is a Python pickle, not safetensors; convert it with safetensors.torch.save_file";
        }
        if ((first[0] & 0xff) == 0x89 && first[1] == 'H' && first[2] == 'D' && first[3] == 'F') {
            return "the file is HDF5 (a Keras .h5 file?), not safetensors";
        }
        return "the file is damaged or not a safetensors file";
    }

    private static ModelFileException bad(String file, String problem) {
        return new ModelFileException(file + ": " + problem);
    }

    private static ModelFileException bad(String file, String problem, Throwable cause) {
        return new ModelFileException(file + ": " + problem, cause);
    }
}
