package dev.kiln.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import dev.kiln.core.Shape;

/**
 * What MNIST and Fashion-MNIST share: four IDX files of 28×28 ubyte images and labels, the search for
 * them ({@link DataSource}), the checked download, and the conversion to {@link Dataset}s with pixels in
 * [0, 1]. One instance per dataset, immutable.
 */
final class MnistFamily {
    static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    static final String TEST_LABELS = "t10k-labels-idx1-ubyte";
    static final List<String> FILES = List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS);
    static final int SIDE = 28;

    private final String title;           // for messages: "Fashion-MNIST"
    private final String folderName;      // under KILN_DATA, the system root and the cache
    private final URI officialBase;
    private final Map<String, Digest> gzDigests;   // by file name without ".gz"
    private final List<String> classNames;
    private final String debianPackage;   // null when Debian has none

    MnistFamily(String title, String folderName, URI officialBase, Map<String, Digest> gzDigests,
                List<String> classNames, String debianPackage) {
        this.title = title;
        this.folderName = folderName;
        this.officialBase = officialBase;
        this.gzDigests = Map.copyOf(gzDigests);
        this.classNames = List.copyOf(classNames);
        this.debianPackage = debianPackage;
        if (!this.gzDigests.keySet().equals(Set.copyOf(FILES))) {
            throw new IllegalArgumentException(title + " needs a digest for each of " + FILES + ", got " + gzDigests.keySet());
        }
    }

    List<String> classNames() {
        return classNames;
    }

    /** A folder to look in, and why it is on the list (for the not-found message). */
    private record Candidate(Path folder, String why) {}

    private List<Candidate> candidates(DataSource src) {
        List<Candidate> out = new ArrayList<>();
        if (src.folder() != null) out.add(new Candidate(src.folder(), "the folder given in DataSource"));
        if (src.kilnData() != null) {
            out.add(new Candidate(src.kilnData().resolve(folderName), "KILN_DATA/" + folderName));
            out.add(new Candidate(src.kilnData(), "KILN_DATA"));
        }
        if (src.systemRoot() != null) {
            out.add(new Candidate(src.systemRoot().resolve(folderName),
                    debianPackage != null ? "Debian package " + debianPackage : "system datasets folder"));
        }
        if (src.cacheRoot() != null) out.add(new Candidate(src.cacheRoot().resolve(folderName), "download cache"));
        return out;
    }

    /**
     * The four files, found or downloaded, in {@link #FILES} order.
     *
     * @throws DatasetNotFoundException when they are nowhere and downloads are off
     */
    List<Path> locate(DataSource src) {
        Objects.requireNonNull(src, "source");
        List<String> looked = new ArrayList<>();
        for (Candidate c : candidates(src)) {
            List<String> missing = new ArrayList<>();
            List<Path> found = find(c.folder(), missing);
            if (missing.isEmpty()) return found;
            looked.add(c.folder() + " (" + c.why() + "): "
                    + (Files.isDirectory(c.folder()) ? "missing " + String.join(", ", missing) : "no such folder"));
        }
        if (src.kilnData() == null) looked.add("KILN_DATA: not set");
        if (src.downloadAllowed()) return download(src);
        throw new DatasetNotFoundException(notFoundMessage(looked));
    }

    /** The files present in {@code folder}; names of the absent ones go to {@code missing}. */
    private static List<Path> find(Path folder, List<String> missing) {
        List<Path> found = new ArrayList<>();
        for (String name : FILES) {
            Path p = existing(folder, name);
            if (p != null) found.add(p);
            else missing.add(name + "[.gz]");
        }
        return found;
    }

    /** {@code folder/name} if it is a file, else {@code folder/name.gz} if that is, else null. */
    private static Path existing(Path folder, String name) {
        Path raw = folder.resolve(name);
        if (Files.isRegularFile(raw)) return raw;
        Path gz = folder.resolve(name + ".gz");
        return Files.isRegularFile(gz) ? gz : null;
    }

    /** Downloads the files the cache folder lacks; those it has came from an earlier verified download. */
    private List<Path> download(DataSource src) {
        Path cache = src.cacheRoot().resolve(folderName);
        URI base = src.mirror() != null ? src.mirror() : officialBase;
        List<Path> out = new ArrayList<>();
        try (Downloader downloader = new Downloader()) {
            for (String name : FILES) {
                Path p = existing(cache, name);
                out.add(p != null ? p : downloader.download(base.resolve(name + ".gz"), cache.resolve(name + ".gz"), gzDigests.get(name)));
            }
        }
        return out;
    }

    private String notFoundMessage(List<String> looked) {
        StringBuilder sb = new StringBuilder(title).append(" not found, and downloads are off. Looked in:\n");
        for (int i = 0; i < looked.size(); i++) sb.append("  ").append(i + 1).append(". ").append(looked.get(i)).append('\n');
        sb.append("Get the data in one of these ways:\n");
        if (debianPackage != null) sb.append("  - install it: sudo apt-get install ").append(debianPackage).append('\n');
        sb.append("  - put the four files ");
        for (int i = 0; i < FILES.size(); i++) sb.append(i == 0 ? "" : ", ").append(FILES.get(i)).append(".gz");
        sb.append(" (gzip or not) in a folder and set KILN_DATA to it, or to its parent as KILN_DATA/")
                .append(folderName).append(", or pass it with DataSource.folder(path)\n");
        sb.append("  - allow the download: DataSource.defaults().allowingDownload() fetches them from ")
                .append(officialBase).append(" and checks their SHA-256");
        return sb.toString();
    }

    /** Finds (or downloads) and reads the train and test sets. */
    TrainTest load(DataSource src) {
        List<Path> f = locate(src);
        return new TrainTest(
                dataset(Idx.read(f.get(0)), Idx.read(f.get(1)), f.get(0).toString(), f.get(1).toString()),
                dataset(Idx.read(f.get(2)), Idx.read(f.get(3)), f.get(2).toString(), f.get(3).toString()));
    }

    /**
     * Finds (or downloads) the files and reads the test set only: what evaluating or predicting needs, without
     * decompressing the 47 MB of training images (~0.3 s of a ~1 s {@code kiln predict}).
     */
    Dataset loadTest(DataSource src) {
        List<Path> f = locate(src);
        return dataset(Idx.read(f.get(2)), Idx.read(f.get(3)), f.get(2).toString(), f.get(3).toString());
    }

    /** Reads the train and test sets from classpath resources {@code folder/<file>.gz}. */
    TrainTest loadResources(String folder) {
        return new TrainTest(
                dataset(resource(folder, TRAIN_IMAGES), resource(folder, TRAIN_LABELS), folder + "/" + TRAIN_IMAGES, folder + "/" + TRAIN_LABELS),
                dataset(resource(folder, TEST_IMAGES), resource(folder, TEST_LABELS), folder + "/" + TEST_IMAGES, folder + "/" + TEST_LABELS));
    }

    private static Idx resource(String folder, String name) {
        String path = folder + "/" + name + ".gz";
        try (InputStream in = MnistFamily.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("resource " + path + " is missing from the classpath; is the kiln-data jar complete?");
            }
            return Idx.read(in, "classpath:" + path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + path + ": " + e.getMessage(), e);
        }
    }

    /** Images (N, 28, 28) ubyte and labels (N) to a dataset with pixels scaled to [0, 1]. */
    Dataset dataset(Idx images, Idx labels, String imagesName, String labelsName) {
        if (images.type() != Idx.Type.UBYTE || images.shape().length != 3
                || images.shape()[1] != SIDE || images.shape()[2] != SIDE) {
            throw new InvalidDataException(imagesName + " should hold ubyte images of shape (N, 28, 28) but holds "
                    + images.type() + " of shape " + Shape.str(images.shape()) + "; is it the right file?");
        }
        int[] y = labels.labels();
        if (y.length != images.count()) {
            throw new InvalidDataException(imagesName + " has " + images.count() + " images but " + labelsName + " has "
                    + y.length + " labels; the two files must come from the same set (train or t10k)");
        }
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= classNames.size()) {
                throw new InvalidDataException(labelsName + " has label " + y[i] + " at index " + i + "; " + title
                        + " labels are 0.." + (classNames.size() - 1));
            }
        }
        float[] x = images.data();   // owned by us: scale in place rather than copy 47M floats
        for (int i = 0; i < x.length; i++) x[i] /= 255f;
        return new Dataset(x, new int[] {SIDE, SIDE}, y, classNames);
    }
}
