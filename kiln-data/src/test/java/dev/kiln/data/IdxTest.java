package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class IdxTest {
    @TempDir Path dir;

    static byte[] raw(Idx idx) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            idx.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static Idx read(byte[] bytes) {
        return Idx.read(new ByteArrayInputStream(bytes), "test.idx");
    }

    /** Values every type can hold exactly. */
    private static float[] values(Idx.Type type) {
        return switch (type) {
            case UBYTE -> new float[] {0, 1, 127, 128, 200, 255};
            case BYTE -> new float[] {-128, -1, 0, 1, 100, 127};
            case SHORT -> new float[] {-32768, -300, 0, 7, 1000, 32767};
            case INT -> new float[] {-16777216, -5, 0, 9, 70000, 16777216};
            case FLOAT, DOUBLE -> new float[] {-1.5f, 0f, 0.1f, 3.25e-8f, 1e30f, Float.MIN_VALUE};
        };
    }

    @ParameterizedTest
    @EnumSource(Idx.Type.class)
    void roundTripsEveryTypeRawAndGzip(Idx.Type type) {
        Idx idx = new Idx(type, new int[] {2, 3}, values(type));
        for (byte[] bytes : new byte[][] {raw(idx), gzip(raw(idx))}) {
            Idx back = read(bytes);
            assertThat(back.type()).isEqualTo(type);
            assertThat(back.shape()).containsExactly(2, 3);
            assertThat(back.data()).containsExactly(values(type));
        }
    }

    @Test
    void headerIsBigEndianAsInTheSpec() {
        byte[] b = raw(new Idx(Idx.Type.SHORT, new int[] {1, 2}, new float[] {258, -2}));
        assertThat(b).containsExactly(0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, (byte) 0xFF, (byte) 0xFE);
    }

    @Test
    void detectsGzipByContentNotByName() throws IOException {
        Idx idx = new Idx(Idx.Type.UBYTE, new int[] {4}, new float[] {1, 2, 3, 4});
        Path gzNamedRaw = dir.resolve("labels.gz");
        Path rawNamedGz = dir.resolve("labels-idx1-ubyte");
        Files.write(gzNamedRaw, raw(idx));
        Files.write(rawNamedGz, gzip(raw(idx)));
        assertThat(Idx.read(gzNamedRaw).labels()).containsExactly(1, 2, 3, 4);
        assertThat(Idx.read(rawNamedGz).labels()).containsExactly(1, 2, 3, 4);
    }

    @Test
    void writeGzipIsReadBackAndDeterministic() throws IOException {
        Idx idx = new Idx(Idx.Type.UBYTE, new int[] {3, 2, 2}, new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        Path a = dir.resolve("a.gz");
        Path b = dir.resolve("b.gz");
        idx.writeGzip(a);
        idx.writeGzip(b);
        assertThat(Files.readAllBytes(a)).startsWith(0x1f, 0x8b).isEqualTo(Files.readAllBytes(b));
        Idx back = Idx.read(a);
        assertThat(back.shape()).containsExactly(3, 2, 2);
        assertThat(back.data()).containsExactly(idx.data());
        assertThat(back.count()).isEqualTo(3);
    }

    @Test
    void badMagicNamesTheFileAndTheBytes() throws IOException {
        Path p = dir.resolve("notidx.bin");
        Files.write(p, new byte[] {'P', 'K', 3, 4, 0, 0});
        assertThatThrownBy(() -> Idx.read(p)).isInstanceOf(InvalidDataException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("bad magic").hasMessageContaining("50 4b 03 04");
    }

    @Test
    void unknownTypeIsNamed() {
        assertThatThrownBy(() -> read(new byte[] {0, 0, 0x0A, 1, 0, 0, 0, 0}))
                .isInstanceOf(InvalidDataException.class).hasMessageContaining("test.idx").hasMessageContaining("0x0a");
    }

    @Test
    void truncatedDataSaysExpectedAndFoundBytes() {
        byte[] full = raw(new Idx(Idx.Type.INT, new int[] {10, 10}, new float[100]));   // 12 + 400 bytes
        byte[] cut = Arrays.copyOf(full, 12 + 123);
        assertThatThrownBy(() -> read(cut)).isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("truncated").hasMessageContaining("400 data bytes").hasMessageContaining("only 123");
        byte[] gzCut = gzip(cut);
        assertThatThrownBy(() -> read(gzCut)).hasMessageContaining("400 data bytes").hasMessageContaining("only 123");
    }

    @Test
    void truncatedHeaderIsReported() {
        assertThatThrownBy(() -> read(new byte[] {0, 0})).hasMessageContaining("truncated").hasMessageContaining("found 2");
        assertThatThrownBy(() -> read(new byte[] {0, 0, 8, 3, 0, 0, 0, 1, 0, 0}))
                .hasMessageContaining("3 dimensions (12 bytes)").hasMessageContaining("only 6");
    }

    @Test
    void truncatedGzipStreamIsReported() {
        byte[] gz = gzip(raw(new Idx(Idx.Type.UBYTE, new int[] {1000}, new float[1000])));
        assertThatThrownBy(() -> read(Arrays.copyOf(gz, gz.length - 12))).isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("test.idx");
        byte[] corrupt = gz.clone();
        corrupt[gz.length - 5] ^= 0x55;   // the CRC/size trailer
        assertThatThrownBy(() -> read(corrupt)).isInstanceOf(InvalidDataException.class).hasMessageContaining("gzip");
    }

    @Test
    void absurdRankIsRejected() {
        assertThatThrownBy(() -> read(new byte[] {0, 0, 8, 0})).hasMessageContaining("absurd rank 0");
        assertThatThrownBy(() -> read(new byte[] {0, 0, 8, (byte) 200})).hasMessageContaining("absurd rank 200");
    }

    @Test
    void absurdDimensionsFailFastWithoutAllocatingThem() {
        ByteBuffer b = ByteBuffer.allocate(16).put(new byte[] {0, 0, 8, 3}).putInt(100_000).putInt(100_000).putInt(100_000);
        assertThatThrownBy(() -> read(b.array())).hasMessageContaining("absurd dimensions (100000, 100000, 100000)");
        ByteBuffer neg = ByteBuffer.allocate(8).put(new byte[] {0, 0, 8, 1}).putInt(-1);
        assertThatThrownBy(() -> read(neg.array())).hasMessageContaining("absurd dimensions (4294967295)");
        // Large but representable: must fail as truncated, not with OutOfMemoryError.
        ByteBuffer big = ByteBuffer.allocate(12).put(new byte[] {0, 0, 0x0E, 2}).putInt(40_000).putInt(40_000);
        assertThatThrownBy(() -> read(big.array())).hasMessageContaining("truncated").hasMessageContaining("12800000000 data bytes");
    }

    @Test
    void trailingDataIsRejected() {
        byte[] ok = raw(new Idx(Idx.Type.UBYTE, new int[] {2}, new float[] {1, 2}));
        byte[] extra = Arrays.copyOf(ok, ok.length + 1);
        assertThatThrownBy(() -> read(extra)).hasMessageContaining("more data than its header");
    }

    @Test
    void missingFileIsAnIoError() {
        assertThatThrownBy(() -> Idx.read(dir.resolve("nope.gz"))).isInstanceOf(UncheckedIOException.class).hasMessageContaining("nope.gz");
    }

    @Test
    void labelsNeedRankOneIntegers() {
        assertThat(new Idx(Idx.Type.UBYTE, new int[] {3}, new float[] {9, 0, 4}).labels()).containsExactly(9, 0, 4);
        assertThatThrownBy(() -> new Idx(Idx.Type.UBYTE, new int[] {1, 2}, new float[2]).labels())
                .hasMessageContaining("rank-1").hasMessageContaining("(1, 2)");
        assertThatThrownBy(() -> new Idx(Idx.Type.FLOAT, new int[] {2}, new float[] {1, 1.5f}).labels())
                .hasMessageContaining("label 1 is 1.5");
    }

    @Test
    void writeRejectsValuesTheTypeCannotHold() {
        assertThatThrownBy(() -> raw(new Idx(Idx.Type.UBYTE, new int[] {2}, new float[] {3, 256})))
                .hasMessageContaining("element 1 is 256.0").hasMessageContaining("0..255");
        assertThatThrownBy(() -> raw(new Idx(Idx.Type.BYTE, new int[] {1}, new float[] {0.5f}))).hasMessageContaining("0.5");
        assertThatThrownBy(() -> new Idx(Idx.Type.UBYTE, new int[] {2, 2}, new float[3])).hasMessageContaining("needs 4");
    }
}
