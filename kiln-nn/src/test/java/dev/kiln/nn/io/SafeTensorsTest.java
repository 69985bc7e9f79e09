package dev.kiln.nn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.core.DType;
import dev.kiln.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafeTensorsTest {
    @TempDir Path dir;

    // ---------------------------------------------------------------- round trips

    @Test
    void float32TensorsRoundTripBitIdentical() throws IOException {
        float[] special = {0f, -0f, 1.5f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY, Float.intBitsToFloat(0x7fc00001), -3.25e-20f, 7f};
        float[] large = new float[300_001];   // odd and longer than one 1 MiB read/write chunk
        for (int i = 0; i < large.length; i++) large[i] = Float.intBitsToFloat(i * 0x9E3779B1 & 0x7f7fffff);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("special", Tensor.of(special, 2, 5));
        tensors.put("scalar", Tensor.of(new float[] {-42.5f}));
        tensors.put("empty", Tensor.of(new float[0], 0, 3));
        tensors.put("large", Tensor.of(large, large.length));
        tensors.put("rank4", Tensor.of(new float[] {1, 2, 3, 4}, 1, 2, 2, 1));

        SafeTensors.Contents back = roundTrip(tensors, Map.of());

        assertSameTensors(back.tensors(), tensors);
        assertThat(back.metadata()).isEmpty();
    }

    @Test
    void float64TensorsRoundTripBitIdentical() throws IOException {
        double[] special = {0d, -0d, Math.PI, Double.MIN_VALUE, Double.MAX_VALUE, Double.NaN,
                Double.longBitsToDouble(0x7ff8000000000123L), Double.NEGATIVE_INFINITY};
        double[] large = new double[140_003];   // longer than one chunk of doubles
        for (int i = 0; i < large.length; i++) large[i] = Math.sin(i) * 1e300;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("special", Tensor.of(special, 4, 2));
        tensors.put("scalar", Tensor.of(new double[] {1e-310}));
        tensors.put("large", Tensor.of(large, 1, large.length));
        tensors.put("float32 neighbour", Tensor.of(new float[] {1f, 2f, 3f}, 3));

        SafeTensors.Contents back = roundTrip(tensors, Map.of("k", "v"));

        assertSameTensors(back.tensors(), tensors);
        assertThat(back.tensors().get("special").dtype()).isEqualTo(DType.FLOAT64);
        assertThat(back.tensors().get("float32 neighbour").dtype()).isEqualTo(DType.FLOAT32);
    }

    @Test
    void richMetadataRoundTripsInOrder() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "kiln");
        metadata.put("architecture", "{\"layers\": [{\"type\": \"Dense\", \"units\": 10}]}");
        metadata.put("quotes \"and\" \\backslashes\\", "line\nbreaks\tand\u0000nul");
        metadata.put("unicode ключ 模型", "émoji 🔥 and ∑");
        metadata.put("empty", "");
        metadata.put("long", "x".repeat(1_000_000));
        Map<String, Tensor> tensors = Map.of("w", Tensor.of(new float[] {1, 2}, 2));

        SafeTensors.Contents back = roundTrip(tensors, metadata);

        assertThat(back.metadata()).containsExactlyEntriesOf(metadata);
        assertThat(SafeTensors.readMetadata(dir.resolve("m.kiln"))).containsExactlyEntriesOf(metadata);
    }

    @Test
    void noTensorsAndNoMetadataMakeTheSmallestFile() throws IOException {
        Path file = dir.resolve("empty.kiln");
        SafeTensors.write(file, Map.of(), Map.of());

        byte[] bytes = Files.readAllBytes(file);
        // 8-byte length (8), then "{}" padded with 6 spaces, then no data.
        assertThat(bytes).hasSize(16);
        assertThat(new String(bytes, 8, 8, StandardCharsets.UTF_8)).isEqualTo("{}      ");
        SafeTensors.Contents back = SafeTensors.read(file);
        assertThat(back.tensors()).isEmpty();
        assertThat(back.metadata()).isEmpty();
    }

    @Test
    void tensorsComeBackInInsertionOrder() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (String name : List.of("z", "a", "m", "empty1", "b", "empty2")) {
            tensors.put(name, name.startsWith("empty") ? Tensor.of(new float[0], 0) : Tensor.of(new float[] {1}, 1));
        }
        assertThat(roundTrip(tensors, Map.of()).tensors().keySet()).containsExactlyElementsOf(tensors.keySet());
    }

    @Test
    void headerIsPaddedWithSpacesSoDataStartsAlignedTo8() throws IOException {
        for (int nameLength = 1; nameLength <= 17; nameLength++) {
            Map<String, Tensor> tensors = Map.of("n".repeat(nameLength), Tensor.of(new float[] {1, 2, 3}, 3));
            byte[] bytes = SafeTensors.toBytes(tensors, Map.of());
            long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);

            assertThat(headerLength % 8).as("header length for a %d-character name", nameLength).isZero();
            assertThat((8 + headerLength) % 8).isZero();
            String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
            assertThat(header.stripTrailing()).endsWith("}");
            assertThat(header.substring(header.stripTrailing().length())).matches(" {0,7}");
            assertThat(bytes).hasSize((int) (8 + headerLength + 12));
        }
    }

    @Test
    void layoutMatchesAHandComputedExample() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", Tensor.of(new float[] {1f, 2f}, 2));
        tensors.put("b", Tensor.of(new double[] {0.5}));
        Path file = dir.resolve("layout.kiln");
        SafeTensors.write(file, tensors, Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(file);

        // The JSON is 132 bytes; padded to 136 = 0x88 so that the data starts at 8 + 136 = 144.
        String json = "{\"__metadata__\":{\"k\":\"v\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[8,16]}}";
        assertThat(json).hasSize(132);
        assertThat(bytes).hasSize(8 + 136 + 16);
        assertThat(Arrays.copyOfRange(bytes, 0, 8)).isEqualTo(hex("8800000000000000"));
        assertThat(new String(bytes, 8, 136, StandardCharsets.UTF_8)).isEqualTo(json + "    ");
        assertThat(Arrays.copyOfRange(bytes, 144, 152)).isEqualTo(hex("0000803f00000040"));   // 1f, 2f
        assertThat(Arrays.copyOfRange(bytes, 152, 160)).isEqualTo(hex("000000000000e03f"));   // 0.5
        assertThat(SafeTensors.toBytes(tensors, Map.of("k", "v"))).isEqualTo(bytes);
    }

    @Test
    void readsAHandBuiltFileInTheReferenceLayout() throws IOException {
        // safetensors.torch.save_file({"weight": torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float64),
        //                              "bias": torch.tensor([-1., 0.5])}, path, metadata={"format": "pt"})
        // The Rust core writes compact JSON with __metadata__ first, lays tensors out by dtype (widest
        // first) then name, and lists them in data order.
        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"weight\":{\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[0,32]},"
                + "\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[32,40]}}";
        ByteBuffer data = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        data.putDouble(1).putDouble(2).putDouble(3).putDouble(4).putFloat(-1f).putFloat(0.5f);

        SafeTensors.Contents read = SafeTensors.read(safetensors(json, data.array()));

        assertThat(read.metadata()).containsExactly(Map.entry("format", "pt"));
        assertThat(read.tensors().keySet()).containsExactly("weight", "bias");
        assertThat(read.tensors().get("weight").shape()).containsExactly(2, 2);
        assertThat(read.tensors().get("weight").toDoubleArray()).containsExactly(1, 2, 3, 4);
        assertThat(read.tensors().get("bias").dtype()).isEqualTo(DType.FLOAT32);
        assertThat(read.tensors().get("bias").toFloatArray()).containsExactly(-1f, 0.5f);
    }

    @Test
    void readsBytesWrittenByPythonSafetensors() throws IOException {
        // The exact output of safetensors 0.8.0 (pip wheel) for
        //   safetensors.numpy.save({"weight": np.array([[1, 2], [3, 4]], dtype=np.float32),
        //       "bias": np.array([-1.5, 0.25]), "steps": np.array(7, dtype=np.float32)}, metadata={"format": "pt"})
        // Note the seven padding spaces (0x20) before the data, and F64 laid out before F32.
        byte[] bytes = hex("d8000000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c2262696173223a7b"
                + "226474797065223a22463634222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c31365d7d"
                + "2c227374657073223a7b226474797065223a22463332222c227368617065223a5b5d2c22646174615f6f666673657473"
                + "223a5b31362c32305d7d2c22776569676874223a7b226474797065223a22463332222c227368617065223a5b322c325d"
                + "2c22646174615f6f666673657473223a5b32302c33365d7d7d20202020202020000000000000f8bf000000000000d03f"
                + "0000e0400000803f000000400000404000008040");

        SafeTensors.Contents read = SafeTensors.read(bytes);

        assertThat(read.metadata()).containsExactly(Map.entry("format", "pt"));
        assertThat(read.tensors().keySet()).containsExactly("bias", "steps", "weight");
        assertThat(read.tensors().get("bias").dtype()).isEqualTo(DType.FLOAT64);
        assertThat(read.tensors().get("bias").toDoubleArray()).containsExactly(-1.5, 0.25);
        assertThat(read.tensors().get("steps").shape()).isEmpty();
        assertThat(read.tensors().get("steps").item()).isEqualTo(7f);
        assertThat(read.tensors().get("weight").shape()).containsExactly(2, 2);
        assertThat(read.tensors().get("weight").toFloatArray()).containsExactly(1f, 2f, 3f, 4f);
        // Written back in the same order, the same tensors and metadata give byte-identical output.
        assertThat(SafeTensors.toBytes(read.tensors(), read.metadata())).isEqualTo(bytes);
    }

    @Test
    void readsAPrettyHeaderWhoseKeyOrderDiffersFromDataOrder() throws IOException {
        // As written by json.dumps with default separators and a hand-ordered dict; an unknown field is
        // ignored, as the reference reader does.
        String json = "{\n  \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8], \"note\": {\"x\": [1]}},\n"
                + "  \"a\": {\"data_offsets\": [0, 4], \"shape\": [], \"dtype\": \"F32\"},\n"
                + "  \"__metadata__\": {\"source\": \"hand\"}\n}";
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(10f).putFloat(20f).array();

        SafeTensors.Contents read = SafeTensors.read(safetensors(json, data));

        assertThat(read.tensors().keySet()).containsExactly("a", "b");   // data order
        assertThat(read.tensors().get("a").shape()).isEmpty();
        assertThat(read.tensors().get("a").item()).isEqualTo(10f);
        assertThat(read.tensors().get("b").toFloatArray()).containsExactly(20f);
        assertThat(read.metadata()).containsExactly(Map.entry("source", "hand"));
    }

    @Test
    void readMetadataLoadsNoTensorData() throws IOException {
        Path file = dir.resolve("meta.kiln");
        SafeTensors.write(file, Map.of("w", Tensor.zeros(100, 100)), Map.of("format_version", "1"));

        assertThat(SafeTensors.readMetadata(file)).containsExactly(Map.entry("format_version", "1"));
    }

    @Test
    void writingReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path file = dir.resolve("model.kiln");
        SafeTensors.write(file, Map.of("w", Tensor.of(new float[] {1}, 1)), Map.of("v", "1"));
        SafeTensors.write(file, Map.of("w", Tensor.of(new float[] {2}, 1)), Map.of("v", "2"));

        SafeTensors.Contents back = SafeTensors.read(file);
        assertThat(back.metadata()).containsExactly(Map.entry("v", "2"));
        assertThat(back.tensors().get("w").toFloatArray()).containsExactly(2f);
        assertThat(filesIn(dir)).containsExactly("model.kiln");
    }

    @Test
    void invalidInputIsRejectedBeforeTheExistingFileIsTouched() throws IOException {
        Path file = dir.resolve("model.kiln");
        SafeTensors.write(file, Map.of("w", Tensor.of(new float[] {1}, 1)), Map.of());
        byte[] before = Files.readAllBytes(file);
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("k", null);

        assertThatThrownBy(() -> SafeTensors.write(file, Map.of("__metadata__", Tensor.zeros(1)), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reserves");
        assertThatThrownBy(() -> SafeTensors.write(file, Map.of("w", Tensor.zeros(1)), nullValue))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null key or value");

        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertThat(filesIn(dir)).containsExactly("model.kiln");
    }

    @Test
    void returnedMapsAreUnmodifiable() throws IOException {
        SafeTensors.Contents back = roundTrip(Map.of("w", Tensor.zeros(2)), Map.of("k", "v"));
        assertThatThrownBy(() -> back.tensors().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> back.metadata().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    // ---------------------------------------------------------------- damaged files

    static Stream<Arguments> damagedFiles() {
        String f32x1 = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":";
        return Stream.of(
                damaged("empty file", new byte[0], "truncated", "has 0 bytes"),
                damaged("shorter than the length field", new byte[5], "truncated", "has 5 bytes"),
                damaged("header length over the limit", concat(le(100_000_001L), "{}".getBytes(StandardCharsets.US_ASCII)),
                        "oversized header: says 100000001 bytes but the limit is 100000000"),
                damaged("header length with the top bit set", le(-1L), "oversized header: says 18446744073709551615"),
                damaged("header longer than the file", concat(le(1000), "{}      ".getBytes(StandardCharsets.US_ASCII)),
                        "oversized header: says 1000 bytes but the file has only 8"),
                damaged("a zip archive", concat(new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0}, new byte[64]),
                        "oversized header", "zip archive"),
                damaged("header not JSON", safetensors("not json", 0), "not valid JSON"),
                damaged("header not UTF-8", safetensors(new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'}, new byte[0]),
                        "not valid JSON"),
                damaged("header an array", safetensors("[1, 2]", 0), "not a JSON object", "an array"),
                damaged("two JSON objects", safetensors("{}{}", 0), "after its JSON object"),
                damaged("unknown dtype", safetensors("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4),
                        "tensor 'w' has dtype 'BF16'", "supported: F32, F64"),
                damaged("dtype not a string", safetensors("{\"w\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                        "tensor 'w' has a dtype that is a number, expected a string"),
                damaged("size mismatch", safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20),
                        "shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] span 20"),
                damaged("shape overflows", safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,"
                        + "2147483647],\"data_offsets\":[0,4]}}", 4), "needs more than 2^63 bytes"),
                damaged("negative dimension", safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
                        "shape entry -1"),
                damaged("absurd rank", safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[" + "1,".repeat(64)
                        + "1],\"data_offsets\":[0,4]}}", 4), "more than 64 dimensions"),
                damaged("shape not an array", safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8),
                        "has a shape that is a string, expected an array"),
                damaged("reversed offsets", safetensors("{\"w\":" + f32x1 + "[8,4]}}", 8), "reversed data_offsets [8, 4]"),
                damaged("three offsets", safetensors("{\"w\":" + f32x1 + "[0,4,8]}}", 8), "more than two data_offsets"),
                damaged("offset beyond 2^63", safetensors("{\"w\":" + f32x1 + "[0,99999999999999999999]}}", 8),
                        "data_offsets entry 99999999999999999999"),
                damaged("missing shape", safetensors("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
                        "tensor 'w' has no \"shape\""),
                damaged("tensor entry not an object", safetensors("{\"w\":[1]}", 0), "tensor 'w' is described by an array"),
                damaged("overlapping tensors", safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
                        "tensors 'a' [0, 8] and 'b' [4, 12] overlap"),
                damaged("gap between tensors", safetensors("{\"a\":" + f32x1 + "[0,4]},\"b\":" + f32x1 + "[8,12]}}", 12),
                        "gap: data bytes [4, 8) belong to no tensor"),
                damaged("truncated data", safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4),
                        "truncated data: the header declares 8 bytes of tensor data but only 4 follow it"),
                damaged("offsets outside the data section", safetensors("{\"a\":" + f32x1 + "[0,4]},\"b\":" + f32x1 + "[4,8]}}", 4),
                        "tensor 'b' at data_offsets [4, 8] lies outside the data section"),
                damaged("hostile sizes", safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1000000000,1000000000],"
                        + "\"data_offsets\":[0,4000000000000000000]}}", 4), "truncated data", "4000000000000000000"),
                damaged("trailing bytes", safetensors("{\"w\":" + f32x1 + "[0,4]}}", 8),
                        "trailing bytes: the data section has 8 bytes but the tensors account for only 4"),
                damaged("metadata value a number", safetensors("{\"__metadata__\":{\"epochs\":3}}", 0),
                        "__metadata__ value for key 'epochs' is a number, expected a string"),
                damaged("metadata value an object", safetensors("{\"__metadata__\":{\"arch\":{\"x\":1}}}", 0),
                        "value for key 'arch' is an object"),
                damaged("metadata value null", safetensors("{\"__metadata__\":{\"k\":null}}", 0), "value for key 'k' is null"),
                damaged("metadata not an object", safetensors("{\"__metadata__\":\"x\"}", 0), "__metadata__ is a string"),
                damaged("duplicate tensor name", safetensors("{\"w\":" + f32x1 + "[0,4]},\"w\":" + f32x1 + "[4,8]}}", 8),
                        "duplicate name 'w'"),
                damaged("duplicate metadata key", safetensors("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0),
                        "duplicate __metadata__ key 'k'"),
                damaged("two metadata maps", safetensors("{\"__metadata__\":{},\"__metadata__\":{}}", 0),
                        "duplicate name '__metadata__'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("damagedFiles")
    void damagedFileGivesAPreciseError(String label, byte[] bytes, String[] fragments) throws IOException {
        Path file = dir.resolve("damaged.kiln");
        Files.write(file, bytes);

        ModelFileException fromFile = catchThrowableOfType(ModelFileException.class, () -> SafeTensors.read(file));
        ModelFileException fromHeader = catchThrowableOfType(ModelFileException.class, () -> SafeTensors.readMetadata(file));
        ModelFileException fromBytes = catchThrowableOfType(ModelFileException.class, () -> SafeTensors.read(bytes));

        for (ModelFileException e : List.of(fromFile, fromHeader, fromBytes)) {
            assertThat(e).as(label).isNotNull();
            assertThat(e.getMessage()).contains(fragments);
        }
        assertThat(fromFile.getMessage()).startsWith(file + ": ");
        assertThat(fromBytes.getMessage()).startsWith("(in-memory safetensors bytes): ");
    }

    @Test
    void everyCutOfAValidFileIsRejected() throws IOException {
        byte[] valid = SafeTensors.toBytes(Map.of("w", Tensor.of(new float[] {1, 2, 3}, 3)), Map.of("k", "v"));
        for (int length = 0; length < valid.length; length++) {
            byte[] cut = Arrays.copyOf(valid, length);
            assertThatThrownBy(() -> SafeTensors.read(cut)).as("cut at %d", length)
                    .isInstanceOf(ModelFileException.class)
                    .hasMessageContaining("cut off");
        }
    }

    // ---------------------------------------------------------------- helpers

    private SafeTensors.Contents roundTrip(Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Path file = dir.resolve("m.kiln");
        SafeTensors.write(file, tensors, metadata);
        SafeTensors.Contents fromFile = SafeTensors.read(file);
        SafeTensors.Contents fromBytes = SafeTensors.read(Files.readAllBytes(file));
        assertSameTensors(fromBytes.tensors(), fromFile.tensors());
        assertThat(fromBytes.metadata()).containsExactlyEntriesOf(fromFile.metadata());
        return fromFile;
    }

    private static void assertSameTensors(Map<String, Tensor> actual, Map<String, Tensor> expected) {
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        for (String name : expected.keySet()) {
            Tensor a = actual.get(name);
            Tensor e = expected.get(name);
            assertThat(a.dtype()).as(name).isEqualTo(e.dtype());
            assertThat(a.shape()).as(name).isEqualTo(e.shape());
            if (e.dtype() == DType.FLOAT32) {
                assertThat(rawBits(a.toFloatArray())).as(name).isEqualTo(rawBits(e.toFloatArray()));
            } else {
                assertThat(rawBits(a.toDoubleArray())).as(name).isEqualTo(rawBits(e.toDoubleArray()));
            }
        }
    }

    private static int[] rawBits(float[] a) {
        int[] bits = new int[a.length];
        for (int i = 0; i < a.length; i++) bits[i] = Float.floatToRawIntBits(a[i]);
        return bits;
    }

    private static long[] rawBits(double[] a) {
        long[] bits = new long[a.length];
        for (int i = 0; i < a.length; i++) bits[i] = Double.doubleToRawLongBits(a[i]);
        return bits;
    }

    private static Arguments damaged(String label, byte[] bytes, String... fragments) {
        return Arguments.of(label, bytes, fragments);
    }

    /** A file following the spec: length, the header padded with spaces to a multiple of 8, the data. */
    static byte[] safetensors(byte[] header, byte[] data) {
        int padded = (header.length + 7) / 8 * 8;
        byte[] paddedHeader = Arrays.copyOf(header, padded);
        Arrays.fill(paddedHeader, header.length, padded, (byte) ' ');
        return concat(le(padded), paddedHeader, data);
    }

    static byte[] safetensors(String header, byte[] data) {
        return safetensors(header.getBytes(StandardCharsets.UTF_8), data);
    }

    static byte[] safetensors(String header, int dataBytes) {
        return safetensors(header, new byte[dataBytes]);
    }

    private static byte[] le(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer all = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] p : parts) all.put(p);
        return all.array();
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    private static List<String> filesIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
