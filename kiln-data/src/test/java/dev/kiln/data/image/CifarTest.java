package dev.kiln.data.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.data.DataSource;
import dev.kiln.data.Dataset;
import dev.kiln.data.DatasetNotFoundException;
import dev.kiln.data.Digest;
import dev.kiln.data.DownloadException;
import dev.kiln.data.InvalidDataException;
import dev.kiln.data.TrainTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarTest {
    @TempDir Path dir;

    /** Empty places, so nothing on this machine is found by accident. */
    private DataSource nowhere() {
        return new DataSource(null, null, null, dir.resolve("cache"), false, null);
    }

    /**
     * {@code n} CIFAR records; record r has label(s) {@code labels} and pixel p of channel ch equal to
     * {@code (r * 7 + ch * 50 + p) % 256}, so every position can be checked.
     */
    static byte[] records(int n, int... labels) {
        int rec = labels.length + 3072;
        byte[] b = new byte[n * rec];
        for (int r = 0; r < n; r++) {
            for (int l = 0; l < labels.length; l++) b[r * rec + l] = (byte) ((labels[l] + r) % (l == labels.length - 1 && labels.length == 2 ? 100 : labels.length == 2 ? 20 : 10));
            for (int ch = 0; ch < 3; ch++) {
                for (int p = 0; p < 1024; p++) b[r * rec + labels.length + ch * 1024 + p] = (byte) ((r * 7 + ch * 50 + p) % 256);
            }
        }
        return b;
    }

    private static Map<String, byte[]> cifar10Files() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int k = 1; k <= 5; k++) files.put("data_batch_" + k + ".bin", records(2, k));
        files.put("test_batch.bin", records(3, 0));
        return files;
    }

    private static void write(Path folder, Map<String, byte[]> files) throws IOException {
        Files.createDirectories(folder);
        for (var e : files.entrySet()) Files.write(folder.resolve(e.getKey()), e.getValue());
    }

    /** A ustar archive of {@code files} under {@code prefix/}, gzipped, as tar(1) writes it. */
    static byte[] tarGz(String prefix, Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.write(header(prefix + "/", 0, '5'));
        raw.write(header(prefix + "/batches.meta.txt", 5, '0'));
        raw.write(Arrays.copyOf("meta\n".getBytes(StandardCharsets.US_ASCII), 512));
        for (var e : files.entrySet()) {
            raw.write(header(prefix + "/" + e.getKey(), e.getValue().length, '0'));
            raw.write(e.getValue());
            raw.write(new byte[(512 - e.getValue().length % 512) % 512]);
        }
        raw.write(new byte[1024]);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(raw.toByteArray());
        }
        return gz.toByteArray();
    }

    static byte[] header(String name, long size, char type) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, h, 0, n.length);
        put(h, 100, String.format("%07o", 0644));
        put(h, 108, String.format("%07o", 0));
        put(h, 116, String.format("%07o", 0));
        put(h, 124, String.format("%011o", size));
        put(h, 136, String.format("%011o", 0));
        h[156] = (byte) type;
        put(h, 257, "ustar");
        put(h, 263, "00");
        long sum = 0;
        for (int i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i] & 0xFF;
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    private static void checkCifar10(TrainTest tt) {
        assertThat(tt.train().size()).isEqualTo(10);
        assertThat(tt.test().size()).isEqualTo(3);
        assertThat(tt.train().sampleShape()).containsExactly(32, 32, 3);
        assertThat(tt.train().classNames()).isEqualTo(Cifar.CIFAR10_CLASSES);
        // Files in order data_batch_1..5, two records each, labels (k + r) % 10.
        assertThat(tt.train().labels()).containsExactly(1, 2, 2, 3, 3, 4, 4, 5, 5, 6);
        assertThat(tt.test().labels()).containsExactly(0, 1, 2);
        float[] x = tt.test().features().toFloatArray();
        int r = 2;
        for (int p : new int[] {0, 1, 33, 1023}) {
            for (int ch = 0; ch < 3; ch++) {
                // Channels-last: pixel p (row p / 32, column p % 32), channel ch.
                assertThat(x[r * 3072 + p * 3 + ch]).isEqualTo(((r * 7 + ch * 50 + p) % 256) / 255f);
            }
        }
    }

    @Test
    void readsTheBinFilesFromAFolderIntoChannelsLastSamples() throws IOException {
        write(dir.resolve("c10"), cifar10Files());
        checkCifar10(Cifar.load(Cifar.Variant.CIFAR10, nowhere().withFolder(dir.resolve("c10"))));
    }

    @Test
    void findsTheUnpackedFolderAndTheUnopenedArchiveUnderKilnData() throws IOException {
        write(dir.resolve("kd/cifar-10/cifar-10-batches-bin"), cifar10Files());
        checkCifar10(Cifar.load(Cifar.Variant.CIFAR10, nowhere().withKilnData(dir.resolve("kd"))));

        Files.createDirectories(dir.resolve("kd2/cifar-10"));
        Files.write(dir.resolve("kd2/cifar-10/cifar-10-binary.tar.gz"), tarGz("cifar-10-batches-bin", cifar10Files()));
        checkCifar10(Cifar.load(Cifar.Variant.CIFAR10, nowhere().withKilnData(dir.resolve("kd2"))));
    }

    @Test
    void cifar100HasFineAndCoarseLabels() throws IOException {
        Path f = dir.resolve("c100");
        write(f, Map.of("train.bin", records(4, 3, 40), "test.bin", records(2, 19, 99)));
        TrainTest fine = Cifar.load(Cifar.Variant.CIFAR100_FINE, nowhere().withFolder(f));
        TrainTest coarse = Cifar.load(Cifar.Variant.CIFAR100_COARSE, nowhere().withFolder(f));
        assertThat(fine.train().labels()).containsExactly(40, 41, 42, 43);
        assertThat(fine.test().labels()).containsExactly(99, 0);
        assertThat(fine.train().numClasses()).isEqualTo(100);
        assertThat(coarse.train().labels()).containsExactly(3, 4, 5, 6);
        assertThat(coarse.test().labels()).containsExactly(19, 0);
        assertThat(coarse.train().classNames()).hasSize(20).contains("vehicles_2");
        assertThat(Cifar.CIFAR100_FINE_CLASSES).hasSize(100).doesNotHaveDuplicates();
        assertThat(fine.train().features().toFloatArray()).isEqualTo(coarse.train().features().toFloatArray());
    }

    @Test
    void aTruncatedFileIsNamedWithTheRecordSize() throws IOException {
        Map<String, byte[]> files = cifar10Files();
        files.put("data_batch_3.bin", Arrays.copyOf(records(2, 1), 3073 + 100));
        write(dir.resolve("c10"), files);
        assertThatThrownBy(() -> Cifar.load(Cifar.Variant.CIFAR10, nowhere().withFolder(dir.resolve("c10"))))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("data_batch_3.bin has 3173 bytes")
                .hasMessageContaining("records of 3073 bytes");
    }

    @Test
    void cifar100FilesReadAsCifar10AreRecognised() throws IOException {
        Path f = dir.resolve("one.bin");
        Files.write(f, records(3, 1, 2));
        assertThatThrownBy(() -> Cifar.read(f, Cifar.Variant.CIFAR10))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("one.bin").hasMessageContaining("looks like CIFAR-100");
        assertThat(Cifar.read(f, Cifar.Variant.CIFAR100_FINE).size()).isEqualTo(3);
    }

    @Test
    void aLabelOutOfRangeNamesFileAndRecord() throws IOException {
        byte[] b = records(3, 0);
        b[2 * 3073] = 10;
        Path f = dir.resolve("bad.bin");
        Files.write(f, b);
        assertThatThrownBy(() -> Cifar.read(f, Cifar.Variant.CIFAR10))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("bad.bin: record 2 has label 10").hasMessageContaining("0..9");
    }

    @Test
    void damagedArchivesAreRefusedWithTheirName() throws IOException {
        Path folder = dir.resolve("kd/cifar-10");
        Files.createDirectories(folder);
        Path archive = folder.resolve("cifar-10-binary.tar.gz");
        byte[] good = tarGz("cifar-10-batches-bin", cifar10Files());
        DataSource src = nowhere().withKilnData(dir.resolve("kd"));

        Files.write(archive, "not gzip at all".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> Cifar.load(Cifar.Variant.CIFAR10, src))
                .isInstanceOf(InvalidDataException.class).hasMessageContaining(archive.toString()).hasMessageContaining("not a gzip file");

        Files.write(archive, Arrays.copyOf(good, good.length / 2));
        assertThatThrownBy(() -> Cifar.load(Cifar.Variant.CIFAR10, src))
                .isInstanceOf(InvalidDataException.class).hasMessageContaining(archive.toString()).hasMessageContaining("truncated");

        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            byte[] h = header("x.bin", 3, '0');
            h[0] ^= 1;   // the checksum no longer matches
            out.write(h);
        }
        Files.write(archive, gz.toByteArray());
        assertThatThrownBy(() -> Cifar.load(Cifar.Variant.CIFAR10, src))
                .isInstanceOf(InvalidDataException.class).hasMessageContaining("checksum");

        Map<String, byte[]> partial = cifar10Files();
        partial.remove("test_batch.bin");
        Files.write(archive, tarGz("cifar-10-batches-bin", partial));
        assertThatThrownBy(() -> Cifar.load(Cifar.Variant.CIFAR10, src))
                .isInstanceOf(InvalidDataException.class).hasMessageContaining("lacks test_batch.bin");
    }

    @Test
    void notFoundListsEveryPlaceAndHowToGetIt() {
        assertThatThrownBy(() -> Cifar.load(Cifar.Variant.CIFAR10, nowhere().withFolder(dir.resolve("nope"))))
                .isInstanceOf(DatasetNotFoundException.class)
                .hasMessageContaining(dir.resolve("nope") + ": no such folder")
                .hasMessageContaining(dir.resolve("cache/cifar-10").toString())
                .hasMessageContaining("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz")
                .hasMessageContaining("allowingDownload");
    }

    @Test
    void downloadsTheArchiveFromALoopbackMirrorAndChecksIt() throws Exception {
        byte[] archive = tarGz("cifar-10-batches-bin", cifar10Files());
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            try (ex; OutputStream out = ex.getResponseBody()) {
                if (ex.getRequestURI().getPath().equals("/mirror/cifar-10-binary.tar.gz")) {
                    ex.sendResponseHeaders(200, archive.length);
                    out.write(archive);
                } else {
                    ex.sendResponseHeaders(404, -1);
                }
            }
        });
        server.start();
        try {
            URI mirror = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mirror/");
            DataSource src = nowhere().allowingDownload().withMirror(mirror);
            String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(archive));

            // The published digest does not match this test archive: refused, nothing left in the cache.
            assertThatThrownBy(() -> Cifar.load(Cifar.Variant.CIFAR10, src))
                    .isInstanceOf(DownloadException.class).hasMessageContaining("MD5 mismatch").hasMessageContaining("c32a1d4ab5d03f1284b67883e8d87530");
            assertThat(dir.resolve("cache/cifar-10/cifar-10-binary.tar.gz")).doesNotExist();

            checkCifar10(Cifar.load(Cifar.Variant.CIFAR10, src, Digest.md5(md5)));
            assertThat(dir.resolve("cache/cifar-10/cifar-10-binary.tar.gz")).exists();
            // Found in the cache next time, without the network.
            server.stop(0);
            checkCifar10(Cifar.load(Cifar.Variant.CIFAR10, nowhere()));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void readsOneBatchFile() throws IOException {
        Path f = dir.resolve("data_batch_1.bin");
        Files.write(f, records(5, 4));
        Dataset d = Cifar.read(f, Cifar.Variant.CIFAR10);
        assertThat(d.labels()).containsExactly(4, 5, 6, 7, 8);
        assertThat(d.features().shape()).containsExactly(5, 32, 32, 3);
    }
}
