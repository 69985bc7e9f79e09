package dev.kiln.data.image;

import dev.kiln.data.Dataset;
import dev.kiln.data.InvalidDataException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A folder of images with one sub-folder per class, as Keras's {@code image_dataset_from_directory} and
 * torchvision's {@code ImageFolder} read it:
 * <pre>
 * root/cat/001.png
 * root/cat/002.jpg
 * root/dog/a.jpeg
 * </pre>
 * Classes are the sub-folder names in sorted order (so class ids do not depend on the file system's
 * listing order); images within a class are sorted by name. Files without an image suffix
 * ({@link Images#SUFFIXES}) and hidden files are skipped; every image must decode, and each class folder
 * must hold at least one image, or loading fails naming the file or folder.
 *
 * @param dataset the samples {@code (height, width, channels)} in [0, 1], labelled and named by class
 * @param files   the image file of each sample, index-aligned with the dataset
 */
public record ImageFolder(Dataset dataset, List<Path> files) {
    public ImageFolder {
        Objects.requireNonNull(dataset, "dataset");
        files = List.copyOf(files);
        if (files.size() != dataset.size()) throw new IllegalArgumentException(files.size() + " files for " + dataset.size() + " samples");
    }

    /**
     * Reads every image under {@code root}'s class folders.
     *
     * @throws InvalidDataException naming the file or folder: no class folders, a class folder without images,
     *     a damaged image, or (when {@code options} forbids converting) an image of the wrong size or channels
     */
    public static ImageFolder load(Path root, ImageOptions options) {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(options, "options");
        if (!Files.isDirectory(root)) {
            throw new InvalidDataException(root + " is not a folder; expected a folder with one sub-folder of images per class");
        }
        List<Path> classDirs = list(root).stream().filter(Files::isDirectory).filter(p -> !hidden(p)).sorted().toList();
        if (classDirs.isEmpty()) {
            throw new InvalidDataException(root + " has no sub-folders; put each class's images in a sub-folder named after the class, e.g. "
                    + root.resolve("cat") + "/1.png");
        }
        List<String> names = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (Path dir : classDirs) {
            List<Path> images = list(dir).stream().filter(Files::isRegularFile).filter(p -> !hidden(p)).filter(Images::isImageFile).sorted().toList();
            if (images.isEmpty()) {
                throw new InvalidDataException("class folder " + dir + " has no images (looked for " + String.join(", ", Images.SUFFIXES)
                        + " files); add images or remove the folder");
            }
            for (Path f : images) {
                files.add(f);
                labels.add(names.size());
            }
            names.add(dir.getFileName().toString());
        }
        int size = options.sampleSize();
        float[] x = new float[Math.multiplyExact(files.size(), size)];   // (N, H, W, C)
        for (int i = 0; i < files.size(); i++) System.arraycopy(Images.read(files.get(i), options), 0, x, i * size, size);
        int[] y = labels.stream().mapToInt(Integer::intValue).toArray();
        return new ImageFolder(new Dataset(x, options.sampleShape(), y, names), files);
    }

    /**
     * Images that are not sorted into classes (files to predict on), as {@code (N, height, width, channels)}
     * floats in [0, 1], in the order given.
     */
    public static float[] readAll(List<Path> files, ImageOptions options) {
        int size = options.sampleSize();
        float[] x = new float[Math.multiplyExact(files.size(), size)];
        for (int i = 0; i < files.size(); i++) System.arraycopy(Images.read(files.get(i), options), 0, x, i * size, size);
        return x;
    }

    /** The image files directly in {@code folder}, sorted by name. */
    public static List<Path> imagesIn(Path folder) {
        return list(folder).stream().filter(Files::isRegularFile).filter(p -> !hidden(p)).filter(Images::isImageFile).sorted().toList();
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
