package dev.kiln.data;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * MNIST handwritten digits (LeCun, Bottou, Bengio &amp; Haffner 1998): 60,000 training and 10,000 test
 * 28×28 grey images of the digits 0–9, with sample shape {@code (28, 28)} and pixels scaled to [0, 1].
 *
 * <p>Found as {@link DataSource} describes (folder {@code mnist}); Debian has no package for it, so
 * either put the four files in {@code $KILN_DATA/mnist} or allow the download.
 */
public final class Mnist {
    private Mnist() {}

    public static final List<String> CLASS_NAMES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    /**
     * The mirror PyTorch's torchvision uses, over HTTPS (the original site no longer serves the files
     * reliably).
     */
    public static final URI OFFICIAL_BASE = URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/");

    /**
     * SHA-256 of the original {@code .gz} files, the same bytes on every mirror: these files' MD5s are the
     * ones torchvision publishes (f68b3c2d…, d53e105e…, 9fb629c4…, ec29112d…), and the SHA-256 values
     * are the ones TensorFlow Datasets and others check.
     */
    static final Map<String, Digest> GZ_SHA256 = Map.of(
            MnistFamily.TRAIN_IMAGES, Digest.sha256("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
            MnistFamily.TRAIN_LABELS, Digest.sha256("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
            MnistFamily.TEST_IMAGES, Digest.sha256("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
            MnistFamily.TEST_LABELS, Digest.sha256("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"));

    static final MnistFamily FAMILY = new MnistFamily("MNIST", "mnist", OFFICIAL_BASE, GZ_SHA256, CLASS_NAMES, null);

    /** The full train and test sets from the usual places ({@link DataSource#defaults()}); no download. */
    public static TrainTest load() {
        return load(DataSource.defaults());
    }

    /**
     * The full train (60,000) and test (10,000) sets.
     *
     * @throws DatasetNotFoundException listing every place looked at, when the files are nowhere and
     *     {@code source} does not allow a download
     * @throws InvalidDataException when a file is damaged
     * @throws DownloadException when an allowed download fails
     */
    public static TrainTest load(DataSource source) {
        return FAMILY.load(source);
    }

    /**
     * The test set alone (10,000 images), found as {@link #load(DataSource)} finds the files; the training images are not
     * read. Fails as {@link #load(DataSource)} does.
     */
    public static Dataset loadTest(DataSource source) {
        return FAMILY.loadTest(source);
    }

    /** The four files' paths, downloading them first if {@code source} allows it and they are nowhere else. */
    public static List<Path> locate(DataSource source) {
        return FAMILY.locate(source);
    }
}
