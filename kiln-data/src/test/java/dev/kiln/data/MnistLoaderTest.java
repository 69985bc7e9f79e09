package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import dev.kiln.core.Rng;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MNIST-family loaders on small generated files: the search order, the messages, the download. */
class MnistLoaderTest {
    @TempDir Path dir;
    private final LocalFileServer server = new LocalFileServer();

    @AfterEach
    void stop() {
        server.close();
    }

    /** The bytes of four tiny MNIST-style files: nTrain and nTest images, pixel 0 = 255 and pixel 1 = 51. */
    static Map<String, byte[]> tinyFiles(int nTrain, int nTest, long seed) {
        Rng rng = new Rng(seed);
        Map<String, byte[]> out = new HashMap<>();
        for (String split : List.of("train", "t10k")) {
            int n = split.equals("train") ? nTrain : nTest;
            float[] x = new float[n * 28 * 28];
            float[] y = new float[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < 784; j++) x[i * 784 + j] = rng.nextInt(256);
                x[i * 784] = 255;
                x[i * 784 + 1] = 51;
                y[i] = i % 10;
            }
            out.put(split + "-images-idx3-ubyte", IdxTest.raw(new Idx(Idx.Type.UBYTE, new int[] {n, 28, 28}, x)));
            out.put(split + "-labels-idx1-ubyte", IdxTest.raw(new Idx(Idx.Type.UBYTE, new int[] {n}, y)));
        }
        return out;
    }

    /** Writes the tiny files into {@code folder}, gzipped with the {@code .gz} name or raw without it. */
    static Path writeTiny(Path folder, int nTrain, boolean gzip) {
        try {
            Files.createDirectories(folder);
            for (var e : tinyFiles(nTrain, 4, nTrain).entrySet()) {
                if (gzip) Files.write(folder.resolve(e.getKey() + ".gz"), IdxTest.gzip(e.getValue()));
                else Files.write(folder.resolve(e.getKey()), e.getValue());
            }
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A source that looks nowhere real: no KILN_DATA, no system folder, a private cache. */
    private DataSource isolated() {
        return new DataSource(null, null, null, dir.resolve("cache"), false, null);
    }

    @Test
    void loadsGzipOrRawFilesScaledToUnitRange() {
        for (boolean gzip : new boolean[] {true, false}) {
            Path folder = writeTiny(dir.resolve("f" + gzip), 20, gzip);
            TrainTest tt = FashionMnist.load(isolated().withFolder(folder));
            assertThat(tt.train().size()).isEqualTo(20);
            assertThat(tt.test().size()).isEqualTo(4);
            assertThat(tt.train().sampleShape()).containsExactly(28, 28);
            assertThat(tt.train().classNames()).isEqualTo(FashionMnist.CLASS_NAMES).hasSize(10).startsWith("T-shirt/top").endsWith("Ankle boot");
            float[] x = tt.train().features().toFloatArray();
            assertThat(x[0]).isEqualTo(1f);
            assertThat(x[1]).isCloseTo(0.2f, within(1e-6f));
            for (float v : x) assertThat(v).isBetween(0f, 1f);
            assertThat(tt.train().labels()).startsWith(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0);
        }
    }

    @Test
    void loadTestReadsTheTestFilesOnly() throws IOException {
        Path folder = writeTiny(dir.resolve("t"), 20, true);
        Dataset whole = FashionMnist.load(isolated().withFolder(folder)).test();
        Dataset alone = FashionMnist.loadTest(isolated().withFolder(folder));
        assertThat(alone.size()).isEqualTo(4);
        assertThat(alone.features().toFloatArray()).containsExactly(whole.features().toFloatArray());
        assertThat(alone.labels()).containsExactly(whole.labels());
        assertThat(alone.classNames()).isEqualTo(FashionMnist.CLASS_NAMES);
        assertThat(Mnist.loadTest(isolated().withFolder(folder)).classNames()).isEqualTo(Mnist.CLASS_NAMES);

        // The training images are never opened: damaged, they break load() but not loadTest().
        Files.write(folder.resolve("train-images-idx3-ubyte.gz"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> FashionMnist.load(isolated().withFolder(folder))).isInstanceOf(InvalidDataException.class);
        assertThat(FashionMnist.loadTest(isolated().withFolder(folder)).size()).isEqualTo(4);
    }

    @Test
    void searchesInTheDocumentedOrder() {
        Path folder = writeTiny(dir.resolve("explicit"), 11, true);
        Path kilnNamed = writeTiny(dir.resolve("kiln/fashion-mnist"), 12, true);
        Path kilnRoot = writeTiny(dir.resolve("kiln"), 13, false);
        Path system = writeTiny(dir.resolve("usr/fashion-mnist"), 14, true);
        Path cache = writeTiny(dir.resolve("cache/fashion-mnist"), 15, true);
        DataSource all = new DataSource(folder, dir.resolve("kiln"), dir.resolve("usr"), dir.resolve("cache"), false, null);
        assertThat(FashionMnist.locate(all).getFirst().getParent()).isEqualTo(folder);
        assertThat(FashionMnist.locate(all.withFolder(null)).getFirst().getParent()).isEqualTo(kilnNamed);
        assertThat(FashionMnist.load(all.withFolder(null)).train().size()).isEqualTo(12);
        assertThat(FashionMnist.locate(all.withFolder(null).withKilnData(dir.resolve("kiln/fashion-mnist/x")))
                .getFirst().getParent()).isEqualTo(system);
        assertThat(FashionMnist.locate(all.withFolder(dir.resolve("nothing")).withKilnData(null)).getFirst().getParent()).isEqualTo(system);
        assertThat(FashionMnist.locate(all.withFolder(null).withKilnData(null).withSystemRoot(null)).getFirst().getParent()).isEqualTo(cache);
        // KILN_DATA itself is searched after KILN_DATA/fashion-mnist: the raw files written there
        assertThat(Mnist.locate(all.withFolder(null)).getFirst()).isEqualTo(kilnRoot.resolve("train-images-idx3-ubyte"));
    }

    @Test
    void anIncompleteFolderIsSkippedAndReported() throws IOException {
        Path partial = writeTiny(dir.resolve("partial"), 5, true);
        Files.delete(partial.resolve("t10k-labels-idx1-ubyte.gz"));
        Path good = writeTiny(dir.resolve("good"), 6, false);
        assertThat(FashionMnist.load(isolated().withFolder(partial).withKilnData(good)).train().size()).isEqualTo(6);
        assertThatThrownBy(() -> FashionMnist.load(isolated().withFolder(partial)))
                .hasMessageContaining(partial + " (the folder given in DataSource): missing t10k-labels-idx1-ubyte[.gz]");
    }

    @Test
    void notFoundListsEveryPlaceAndEveryRemedy() {
        Path folder = dir.resolve("mine");
        DataSource src = new DataSource(folder, dir.resolve("kd"), dir.resolve("sys"), dir.resolve("cache"), false, null);
        assertThatThrownBy(() -> FashionMnist.load(src))
                .isInstanceOf(DatasetNotFoundException.class)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Fashion-MNIST not found, and downloads are off")
                .hasMessageContaining("1. " + folder + " (the folder given in DataSource): no such folder")
                .hasMessageContaining("2. " + dir.resolve("kd/fashion-mnist") + " (KILN_DATA/fashion-mnist)")
                .hasMessageContaining("3. " + dir.resolve("kd") + " (KILN_DATA)")
                .hasMessageContaining("4. " + dir.resolve("sys/fashion-mnist") + " (Debian package dataset-fashion-mnist)")
                .hasMessageContaining("5. " + dir.resolve("cache/fashion-mnist") + " (download cache)")
                .hasMessageContaining("apt-get install dataset-fashion-mnist")
                .hasMessageContaining("set KILN_DATA")
                .hasMessageContaining("allowingDownload()")
                .hasMessageContaining(FashionMnist.OFFICIAL_BASE.toString());
        assertThatThrownBy(() -> Mnist.load(src.withKilnData(null)))
                .hasMessageContaining("MNIST not found")
                .hasMessageContaining(dir.resolve("sys/mnist").toString())
                .hasMessageContaining("KILN_DATA: not set")
                .hasMessageNotContaining("apt-get");
        assertThat(server.requests).isEmpty();
    }

    @Test
    void downloadsIntoTheCacheOnceWhenAllowed() throws Exception {
        Map<String, byte[]> files = tinyFiles(30, 10, 5);
        Map<String, Digest> digests = new HashMap<>();
        for (var e : files.entrySet()) {
            byte[] gz = IdxTest.gzip(e.getValue());
            server.serve("/mirror/" + e.getKey() + ".gz", gz);
            digests.put(e.getKey(), Digest.sha256(DownloaderTest.sha256(gz)));
        }
        MnistFamily tiny = new MnistFamily("Tiny", "tiny", server.url("mirror/"), digests, Mnist.CLASS_NAMES, null);
        DataSource src = isolated().allowingDownload();
        TrainTest tt = tiny.load(src);
        assertThat(tt.train().size()).isEqualTo(30);
        assertThat(tt.test().size()).isEqualTo(10);
        assertThat(dir.resolve("cache/tiny/train-images-idx3-ubyte.gz")).exists();
        assertThat(server.requests).hasSize(4);
        tiny.load(src);   // now found in the cache
        assertThat(server.requests).hasSize(4);
        // a mirror overrides the official base
        MnistFamily elsewhere = new MnistFamily("Tiny", "tiny2", URI.create("https://invalid.example/"), digests, Mnist.CLASS_NAMES, null);
        assertThat(elsewhere.load(src.withMirror(server.url("mirror"))).train().size()).isEqualTo(30);
        assertThat(server.requests).hasSize(8);
    }

    @Test
    void downloadedFilesMustMatchThePublishedDigests() {
        for (var e : tinyFiles(3, 3, 1).entrySet()) server.serve("/" + e.getKey() + ".gz", IdxTest.gzip(e.getValue()));
        DataSource src = isolated().allowingDownload().withMirror(server.base());
        assertThatThrownBy(() -> FashionMnist.load(src))
                .isInstanceOf(DownloadException.class)
                .hasMessageContaining("expected " + FashionMnist.GZ_SHA256.get("train-images-idx3-ubyte").hex());
        assertThatThrownBy(() -> Mnist.load(src))
                .hasMessageContaining("expected " + Mnist.GZ_SHA256.get("train-images-idx3-ubyte").hex());
        assertThat(dir.resolve("cache/fashion-mnist")).isEmptyDirectory();
    }

    @Test
    void downloadErrorsNameTheUrl() {
        DataSource src = isolated().allowingDownload().withMirror(server.base());
        assertThatThrownBy(() -> Mnist.load(src)).isInstanceOf(DownloadException.class)
                .hasMessageContaining("HTTP 404").hasMessageContaining(server.base() + "train-images-idx3-ubyte.gz");
    }

    @Test
    void wrongFilesAreReportedByName() throws IOException {
        Path folder = writeTiny(dir.resolve("wrong"), 8, false);
        Files.write(folder.resolve("t10k-labels-idx1-ubyte"), IdxTest.raw(new Idx(Idx.Type.UBYTE, new int[] {3}, new float[3])));
        assertThatThrownBy(() -> Mnist.load(isolated().withFolder(folder)))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("4 images").hasMessageContaining("t10k-labels-idx1-ubyte has 3 labels");
        Files.write(folder.resolve("t10k-labels-idx1-ubyte"), IdxTest.raw(new Idx(Idx.Type.UBYTE, new int[] {4}, new float[] {0, 1, 10, 2})));
        assertThatThrownBy(() -> Mnist.load(isolated().withFolder(folder))).hasMessageContaining("label 10 at index 2");
        Files.write(folder.resolve("train-images-idx3-ubyte"), IdxTest.raw(new Idx(Idx.Type.UBYTE, new int[] {8, 14, 14}, new float[8 * 196])));
        assertThatThrownBy(() -> Mnist.load(isolated().withFolder(folder)))
                .hasMessageContaining("train-images-idx3-ubyte should hold ubyte images of shape (N, 28, 28)")
                .hasMessageContaining("(8, 14, 14)");
    }

    @Test
    void dataSourceValidatesAndNormalises() {
        assertThat(isolated().withMirror(URI.create("https://m.example/mnist")).mirror()).hasToString("https://m.example/mnist/");
        assertThatThrownBy(() -> isolated().withMirror(URI.create("http://m.example/"))).hasMessageContaining("HTTPS only");
        assertThatThrownBy(() -> new DataSource(null, null, null, null, true, null)).hasMessageContaining("cache folder");
        DataSource d = DataSource.defaults();
        assertThat(d.systemRoot()).isEqualTo(Path.of("/usr/share/datasets"));
        assertThat(d.cacheRoot().getFileName()).hasToString("kiln");
        assertThat(d.downloadAllowed()).isFalse();
        assertThat(DataSource.folder(dir).folder()).isEqualTo(dir);
    }
}
