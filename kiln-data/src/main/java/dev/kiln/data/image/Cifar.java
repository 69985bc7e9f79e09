package dev.kiln.data.image;

import dev.kiln.data.DataSource;
import dev.kiln.data.Dataset;
import dev.kiln.data.DatasetNotFoundException;
import dev.kiln.data.Digest;
import dev.kiln.data.Downloader;
import dev.kiln.data.InvalidDataException;
import dev.kiln.data.TrainTest;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * CIFAR-10 and CIFAR-100 (Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny Images"):
 * 32×32 colour images, 50,000 for training and 10,000 for testing, in the dataset's binary format.
 *
 * <p>Each record of a {@code .bin} file is the label byte (CIFAR-100: the coarse then the fine label byte)
 * followed by 3,072 pixel bytes: the red plane, then green, then blue, each 32 rows of 32. Kiln turns a
 * record into a channels-last sample of shape {@code (32, 32, 3)} with values in [0, 1], the layout Keras
 * and Kiln's Conv2D use.
 *
 * <p>{@link #load(Variant, DataSource)} looks where {@link DataSource} says, in folders named
 * {@code cifar-10} / {@code cifar-100}; in each it accepts the {@code .bin} files themselves, the folder the
 * archive unpacks to ({@code cifar-10-batches-bin}, {@code cifar-100-binary}), or the unopened archive
 * ({@code cifar-10-binary.tar.gz}), which it reads in place. A download, when allowed, fetches the archive
 * over HTTPS into the cache folder and checks the MD5 published on the dataset's page (the only digest published).
 */
public final class Cifar {
    private Cifar() {}

    public static final URI OFFICIAL_BASE = URI.create("https://www.cs.toronto.edu/~kriz/");
    static final int SIDE = 32;
    static final int PIXELS = SIDE * SIDE * 3;

    public static final List<String> CIFAR10_CLASSES = List.of(
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    public static final List<String> CIFAR100_COARSE_CLASSES = List.of(
            "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables", "household_electrical_devices",
            "household_furniture", "insects", "large_carnivores", "large_man-made_outdoor_things",
            "large_natural_outdoor_scenes", "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates",
            "people", "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2");

    public static final List<String> CIFAR100_FINE_CLASSES = List.of(
            "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
            "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
            "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
            "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
            "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
            "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
            "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
            "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
            "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
            "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm");

    /** Which dataset, and for CIFAR-100 which of its two labels becomes the class. */
    public enum Variant {
        CIFAR10("CIFAR-10", "cifar-10", "cifar-10-binary.tar.gz", "cifar-10-batches-bin",
                List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"),
                List.of("test_batch.bin"), 1, 0, CIFAR10_CLASSES, Digest.md5("c32a1d4ab5d03f1284b67883e8d87530")),
        CIFAR100_FINE("CIFAR-100", "cifar-100", "cifar-100-binary.tar.gz", "cifar-100-binary",
                List.of("train.bin"), List.of("test.bin"), 2, 1, CIFAR100_FINE_CLASSES, Digest.md5("03b5dce01913d631647c71ecec9e9cb8")),
        CIFAR100_COARSE("CIFAR-100", "cifar-100", "cifar-100-binary.tar.gz", "cifar-100-binary",
                List.of("train.bin"), List.of("test.bin"), 2, 0, CIFAR100_COARSE_CLASSES, Digest.md5("03b5dce01913d631647c71ecec9e9cb8"));

        final String title;
        final String folderName;
        final String archive;
        final String unpacked;
        final List<String> trainFiles;
        final List<String> testFiles;
        final int labelBytes;
        final int labelIndex;    // which label byte is the class
        final List<String> classNames;
        final Digest archiveDigest;

        Variant(String title, String folderName, String archive, String unpacked, List<String> trainFiles, List<String> testFiles,
                int labelBytes, int labelIndex, List<String> classNames, Digest archiveDigest) {
            this.title = title;
            this.folderName = folderName;
            this.archive = archive;
            this.unpacked = unpacked;
            this.trainFiles = trainFiles;
            this.testFiles = testFiles;
            this.labelBytes = labelBytes;
            this.labelIndex = labelIndex;
            this.classNames = classNames;
            this.archiveDigest = archiveDigest;
        }

        /** Bytes per record: the label byte(s) and 3,072 pixels. */
        public int recordSize() {
            return labelBytes + PIXELS;
        }

        public List<String> classNames() {
            return classNames;
        }

        List<String> allFiles() {
            List<String> all = new ArrayList<>(trainFiles);
            all.addAll(testFiles);
            return all;
        }
    }

    /** CIFAR-10 from the usual places ({@link DataSource#defaults()}); no download. */
    public static TrainTest cifar10() {
        return load(Variant.CIFAR10, DataSource.defaults());
    }

    /**
     * The train and test sets of {@code variant}, found or (if allowed) downloaded.
     *
     * @throws DatasetNotFoundException listing every place looked at
     * @throws InvalidDataException     when a file or the archive is damaged
     */
    public static TrainTest load(Variant variant, DataSource source) {
        return load(variant, source, variant.archiveDigest);
    }

    /** As {@link #load(Variant, DataSource)}, checking a download against {@code archiveDigest} (tests serve their own archive). */
    static TrainTest load(Variant variant, DataSource source, Digest archiveDigest) {
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(source, "source");
        List<String> looked = new ArrayList<>();
        for (Path folder : candidates(variant, source)) {
            for (Path f : List.of(folder, folder.resolve(variant.unpacked))) {
                if (variant.allFiles().stream().allMatch(n -> Files.isRegularFile(f.resolve(n)))) return fromFolder(variant, f);
            }
            Path archive = folder.resolve(variant.archive);
            if (Files.isRegularFile(archive)) return fromArchive(variant, archive);
            looked.add(folder + (Files.isDirectory(folder) ? ": missing " + String.join(", ", variant.allFiles()) + " (or "
                    + variant.unpacked + "/, or " + variant.archive + ")" : ": no such folder"));
        }
        if (source.kilnData() == null) looked.add("KILN_DATA: not set");
        if (source.downloadAllowed()) {
            Path target = source.cacheRoot().resolve(variant.folderName).resolve(variant.archive);
            URI base = source.mirror() != null ? source.mirror() : OFFICIAL_BASE;
            try (Downloader d = new Downloader()) {
                d.download(base.resolve(variant.archive), target, archiveDigest);
            }
            return fromArchive(variant, target);
        }
        StringBuilder sb = new StringBuilder(variant.title).append(" not found, and downloads are off. Looked in:\n");
        for (int i = 0; i < looked.size(); i++) sb.append("  ").append(i + 1).append(". ").append(looked.get(i)).append('\n');
        sb.append("Put ").append(variant.archive).append(" (from ").append(OFFICIAL_BASE).append(variant.archive)
                .append("), or the .bin files it holds, in a folder and set KILN_DATA to it (or to its parent, as KILN_DATA/")
                .append(variant.folderName).append("), or allow the download: DataSource.defaults().allowingDownload()");
        throw new DatasetNotFoundException(sb.toString());
    }

    private static List<Path> candidates(Variant v, DataSource s) {
        List<Path> out = new ArrayList<>();
        if (s.folder() != null) out.add(s.folder());
        if (s.kilnData() != null) {
            out.add(s.kilnData().resolve(v.folderName));
            out.add(s.kilnData());
        }
        if (s.systemRoot() != null) out.add(s.systemRoot().resolve(v.folderName));
        if (s.cacheRoot() != null) out.add(s.cacheRoot().resolve(v.folderName));
        return out;
    }

    private static TrainTest fromFolder(Variant v, Path folder) {
        Map<String, byte[]> files = new HashMap<>();
        for (String n : v.allFiles()) {
            try {
                files.put(n, Files.readAllBytes(folder.resolve(n)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + folder.resolve(n) + ": " + e.getMessage(), e);
            }
        }
        return split(v, files, folder + "/");
    }

    /** Reads the {@code .bin} members straight out of the {@code .tar.gz}, without unpacking it to disk. */
    static TrainTest fromArchive(Variant v, Path archive) {
        Map<String, byte[]> files;
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(archive), 1 << 16), 1 << 16)) {
            files = Tar.read(in, v.allFiles()::contains, archive.toString());
        } catch (ZipException e) {
            throw new InvalidDataException(archive + " is not a gzip file (" + e.getMessage() + "); expected " + v.archive
                    + " as published at " + OFFICIAL_BASE, e);
        } catch (java.io.EOFException e) {
            throw new InvalidDataException(archive + " is truncated (the gzip stream ends early); download it again", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + archive + ": " + e.getMessage(), e);
        }
        List<String> missing = v.allFiles().stream().filter(n -> !files.containsKey(n)).toList();
        if (!missing.isEmpty()) {
            throw new InvalidDataException(archive + " lacks " + String.join(", ", missing) + "; is it " + v.archive + "?");
        }
        return split(v, files, archive + ":");
    }

    private static TrainTest split(Variant v, Map<String, byte[]> files, String where) {
        return new TrainTest(decode(v, v.trainFiles, files, where), decode(v, v.testFiles, files, where));
    }

    /**
     * One {@code .bin} file (e.g. {@code data_batch_1.bin}) as a dataset of {@code (32, 32, 3)} samples in [0, 1].
     *
     * @throws InvalidDataException when the file's length is not a whole number of records or a label is out of range
     */
    public static Dataset read(Path file, Variant variant) {
        try {
            return decode(variant, List.of(file.getFileName().toString()), Map.of(file.getFileName().toString(), Files.readAllBytes(file)),
                    file.toAbsolutePath().getParent() + "/");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The named files' records, in order, as one dataset. */
    private static Dataset decode(Variant v, List<String> names, Map<String, byte[]> files, String where) {
        int rec = v.recordSize();
        long total = 0;
        for (String n : names) {
            byte[] b = files.get(n);
            if (b.length == 0 || b.length % rec != 0) {
                throw new InvalidDataException(where + n + " has " + b.length + " bytes, which is not a whole number of " + v.title
                        + " records of " + rec + " bytes (" + v.labelBytes + " label byte" + (v.labelBytes > 1 ? "s" : "")
                        + " + 3072 pixels); the file is truncated or is not a " + v.title + " binary file"
                        + (v == Variant.CIFAR10 && b.length % (rec + 1) == 0 ? " (it looks like CIFAR-100: use Variant.CIFAR100_FINE)" : "")
                        + (v != Variant.CIFAR10 && b.length % (rec - 1) == 0 ? " (it looks like CIFAR-10: use Variant.CIFAR10)" : ""));
            }
            total += b.length / rec;
        }
        if (total * PIXELS > Integer.MAX_VALUE - 8) throw new InvalidDataException(where + ": " + total + " images do not fit in one array");
        int n = (int) total;
        float[] x = new float[n * PIXELS];   // (N, 32, 32, 3)
        int[] y = new int[n];
        int i = 0;
        for (String name : names) {
            byte[] b = files.get(name);
            for (int r = 0; r < b.length / rec; r++, i++) {
                int base = r * rec;
                int label = b[base + v.labelIndex] & 0xFF;
                if (label >= v.classNames.size()) {
                    throw new InvalidDataException(where + name + ": record " + r + " has label " + label + " but " + v.title
                            + (v == Variant.CIFAR10 ? "" : v == Variant.CIFAR100_FINE ? " fine" : " coarse") + " labels are 0.."
                            + (v.classNames.size() - 1) + "; the file is damaged or is another dataset's");
                }
                y[i] = label;
                int px = base + v.labelBytes;
                int out = i * PIXELS;
                // Planes R, G, B of (32, 32) each → interleaved (32, 32, 3).
                for (int p = 0; p < SIDE * SIDE; p++) {
                    x[out + 3 * p] = (b[px + p] & 0xFF) / 255f;
                    x[out + 3 * p + 1] = (b[px + SIDE * SIDE + p] & 0xFF) / 255f;
                    x[out + 3 * p + 2] = (b[px + 2 * SIDE * SIDE + p] & 0xFF) / 255f;
                }
            }
        }
        return new Dataset(x, new int[] {SIDE, SIDE, 3}, y, v.classNames);
    }
}
