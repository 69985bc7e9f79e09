package dev.kiln.data;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017, "Fashion-MNIST: a Novel Image Dataset for Benchmarking
 * Machine Learning Algorithms", arXiv:1708.07747): 60,000 training and 10,000 test 28×28 grey images of
 * Zalando articles in 10 classes. Licence: MIT, © 2017 Zalando SE.
 *
 * <p>{@link #load(DataSource)} finds the files as {@link DataSource} describes (on Debian:
 * {@code apt-get install dataset-fashion-mnist}, which installs them into
 * {@code /usr/share/datasets/fashion-mnist}). {@link #subset()} needs nothing: it reads a 7,000-image
 * subset that ships inside this jar.
 *
 * <p>The datasets have sample shape {@code (28, 28)}, pixels scaled from 0..255 to [0, 1], and the class
 * names {@link #CLASS_NAMES}.
 */
public final class FashionMnist {
    private FashionMnist() {}

    public static final List<String> CLASS_NAMES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /**
     * The official repository's copy of the files, over HTTPS. The project's README points at an S3
     * website endpoint, which serves plain HTTP only; the SHA-256 check makes either equally safe, but
     * Kiln downloads over HTTPS only.
     */
    public static final URI OFFICIAL_BASE = URI.create("https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/");

    /**
     * SHA-256 of the published {@code .gz} files. Debian's copies differ as files (its packaging strips the
     * gzip header's file name and time) but hold the same images; local files are not checked against these,
     * only downloads.
     */
    static final Map<String, Digest> GZ_SHA256 = Map.of(
            MnistFamily.TRAIN_IMAGES, Digest.sha256("08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc"),
            MnistFamily.TRAIN_LABELS, Digest.sha256("b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc"),
            MnistFamily.TEST_IMAGES, Digest.sha256("78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229"),
            MnistFamily.TEST_LABELS, Digest.sha256("42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf"));

    /** Where the shipped subset lives on the classpath. */
    static final String SUBSET_RESOURCES = "/dev/kiln/data/fashion-mnist-subset";

    static final MnistFamily FAMILY = new MnistFamily("Fashion-MNIST", "fashion-mnist", OFFICIAL_BASE, GZ_SHA256,
            CLASS_NAMES, "dataset-fashion-mnist");

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

    /**
     * The four files' paths (train images, train labels, test images, test labels), downloading them first
     * if {@code source} allows it and they are nowhere else.
     */
    public static List<Path> locate(DataSource source) {
        return FAMILY.locate(source);
    }

    /**
     * A class-balanced, seeded random subset shipped in the jar: 6,000 training images (600 per class) drawn
     * from the 60,000 and 1,000 test images (100 per class) from the 10,000, in shuffled order. Made by
     * {@code tools/subset}; for tests, examples and quick experiments, not for reporting results.
     */
    public static TrainTest subset() {
        return FAMILY.loadResources(SUBSET_RESOURCES);
    }
}
