package dev.kiln.cli;

import dev.kiln.core.Shape;
import dev.kiln.data.Csv;
import dev.kiln.data.CsvOptions;
import dev.kiln.data.DataSource;
import dev.kiln.data.Dataset;
import dev.kiln.data.DatasetNotFoundException;
import dev.kiln.data.FashionMnist;
import dev.kiln.data.Idx;
import dev.kiln.data.Mnist;
import dev.kiln.data.TrainTest;
import dev.kiln.data.text.SpamAssassin;
import dev.kiln.data.text.TextDataset;
import dev.kiln.data.text.Tokenizer;
import dev.kiln.data.text.WordTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Turns what a user names on the command line or in a config ({@code fashion-mnist}, a CSV file, a folder
 * of IDX files) into datasets, and fits a dataset to a model's input shape and classes. When the full
 * Fashion-MNIST is not installed it falls back to the subset shipped in the kiln-data jar, and says so:
 * a quiet fallback would make a user believe their accuracy came from the real test set. Text data
 * ({@code spam-assassin}) comes back tokenized, with its tokenizer.
 */
final class DataSets {
    /** The names {@code evaluate} and {@code predict} accept besides paths. */
    static final List<String> NAMES = List.of("fashion-mnist", "fashion-mnist-subset", "mnist");

    private DataSets() {}

    /**
     * Training and test parts and where they came from.
     *
     * @param train       the training part, or null from {@link #namedTest}, which reads the test part only
     * @param test        the test part, or null when the data has none (a CSV without {@code test_path})
     * @param description one line for summaries, e.g. "Fashion-MNIST (60,000 train / 10,000 test)"
     * @param tokenizer   for text data, the tokenizer fitted on the training texts (the model keeps it); else null
     */
    record Loaded(Dataset train, Dataset test, String name, String description, Tokenizer tokenizer) {
        Loaded(Dataset train, Dataset test, String name, String description) {
            this(train, test, name, description, null);
        }
    }

    /**
     * The data of a training config; {@code notes} gets the fallback notice. Text data is split with
     * {@code seed} and tokenized as {@code text} says.
     */
    static Loaded load(TrainConfig.DataSpec spec, TrainConfig.TextSpec text, long seed, DataSource source, PrintStream notes) throws IOException {
        if (spec.isText()) return spamAssassin(spec, text, seed, source);
        Loaded loaded = switch (spec.name()) {
            case "csv" -> {
                Dataset train = csv(Path.of(spec.path()), spec.labelColumn());
                Dataset test = spec.testPath() == null ? null : alignClasses(csv(Path.of(spec.testPath()), spec.labelColumn()), train.classNames(), spec.testPath());
                yield new Loaded(train, test, "csv", "CSV " + spec.path() + (test == null ? "" : " / " + spec.testPath()));
            }
            case "idx" -> {
                Path folder = Path.of(spec.path());
                yield new Loaded(idx(folder, "train"), idx(folder, "test"), "idx", "IDX files in " + folder);
            }
            default -> named(spec.name(), source, notes, "training on the 6,000-image subset");
        };
        if (spec.limit() != null && spec.limit() < loaded.train().size()) {
            Dataset part = loaded.train().slice(0, spec.limit());
            loaded = new Loaded(part, loaded.test(), loaded.name(), loaded.description() + ", first " + String.format(Locale.ROOT, "%,d", spec.limit()) + " training samples");
        }
        return loaded;
    }

    /**
     * The SpamAssassin e-mails, split stratified by {@code seed}, the training part cut to {@code limit}, then
     * tokenized with a word tokenizer fitted on that training part alone. A {@code path} in the config is the
     * only place looked at, so a mistyped folder is reported rather than quietly replaced by another copy.
     */
    static Loaded spamAssassin(TrainConfig.DataSpec spec, TrainConfig.TextSpec text, long seed, DataSource source) {
        Path folder;
        try {
            folder = spec.path() != null ? SpamAssassin.locate(Path.of(spec.path()), null, null)
                    : SpamAssassin.locate(null, source.kilnData(), Path.of("").toAbsolutePath());
        } catch (DatasetNotFoundException e) {
            throw new CliException(e.getMessage(), e);
        }
        TextDataset all = SpamAssassin.read(folder);
        if (spec.stripHeaders()) all = all.mapTexts(SpamAssassin::body);
        TextDataset.Split split = all.split(spec.testFraction(), seed);
        TextDataset train = split.train();
        String limited = "";
        if (spec.limit() != null && spec.limit() < train.size()) {
            int[] first = new int[spec.limit()];
            for (int i = 0; i < first.length; i++) first[i] = i;
            train = train.subset(first);   // the split is in seeded random order, so the first N keep both classes
            limited = String.format(Locale.ROOT, ", first %,d training messages", spec.limit());
        }
        WordTokenizer tokenizer = WordTokenizer.fit(train.texts(), text.tokenizerConfig());
        int length = text.sequenceLength();
        Dataset x = train.encode(tokenizer, length, text.paddingMode(), text.truncatingMode());
        Dataset y = split.test().encode(tokenizer, length, text.paddingMode(), text.truncatingMode());
        String description = String.format(Locale.ROOT, "SpamAssassin e-mails%s (%,d train / %,d test%s; %,d-word vocabulary, %d tokens each)",
                spec.stripHeaders() ? ", bodies only" : "", train.size(), y.size(), limited, tokenizer.vocabularySize(), length);
        return new Loaded(x, y, "spam-assassin", description, tokenizer);
    }

    /** {@code fashion-mnist}, {@code fashion-mnist-subset} or {@code mnist}; {@code fallbackWhat} completes the notice. */
    static Loaded named(String name, DataSource source, PrintStream notes, String fallbackWhat) {
        return named(name, source, notes, fallbackWhat, false);
    }

    /**
     * The test part of a named dataset, without reading its training part (evaluating and predicting need only the
     * test images; decompressing Fashion-MNIST's training images took ~0.3 s of a ~1 s {@code kiln predict}).
     * {@link Loaded#train()} is null.
     */
    static Loaded namedTest(String name, DataSource source, PrintStream notes, String fallbackWhat) {
        return named(name, source, notes, fallbackWhat, true);
    }

    private static Loaded named(String name, DataSource source, PrintStream notes, String fallbackWhat, boolean testOnly) {
        Parts parts;
        String description;
        switch (name) {
            case "fashion-mnist" -> {
                try {
                    parts = testOnly ? new Parts(null, FashionMnist.loadTest(source)) : Parts.of(FashionMnist.load(source), false);
                    description = "Fashion-MNIST";
                } catch (DatasetNotFoundException e) {
                    notes.println("Fashion-MNIST not found (looked in: " + String.join(", ", lookedIn(source, "fashion-mnist")) + "); "
                            + fallbackWhat + " shipped with Kiln. Install it with: apt-get install dataset-fashion-mnist (or pass --download)");
                    parts = Parts.of(FashionMnist.subset(), testOnly);
                    name = "fashion-mnist-subset";
                    description = "Fashion-MNIST subset shipped with Kiln";
                }
            }
            case "fashion-mnist-subset" -> {
                parts = Parts.of(FashionMnist.subset(), testOnly);
                description = "Fashion-MNIST subset shipped with Kiln";
            }
            case "mnist" -> {
                try {
                    parts = testOnly ? new Parts(null, Mnist.loadTest(source)) : Parts.of(Mnist.load(source), false);
                    description = "MNIST";
                } catch (DatasetNotFoundException e) {
                    throw new CliException(e.getMessage() + "\n  - with kiln: add --download to fetch it into " + source.cacheRoot(), e);
                }
            }
            default -> throw new IllegalArgumentException("unknown dataset '" + name + "'; use one of " + String.join(", ", NAMES));
        }
        String sizes = parts.train() == null ? String.format(Locale.ROOT, "%,d test", parts.test().size())
                : String.format(Locale.ROOT, "%,d train / %,d test", parts.train().size(), parts.test().size());
        return new Loaded(parts.train(), parts.test(), name, description + " (" + sizes + ")");
    }

    /** A named dataset's parts; {@code train} is null when only the test part was read. */
    private record Parts(Dataset train, Dataset test) {
        static Parts of(TrainTest both, boolean testOnly) {
            return new Parts(testOnly ? null : both.train(), both.test());
        }
    }

    /** The folders the loaders search, in their order ({@link DataSource}'s documented list). */
    static List<String> lookedIn(DataSource s, String folderName) {
        List<String> out = new ArrayList<>();
        if (s.folder() != null) out.add(s.folder().toString());
        if (s.kilnData() != null) {
            out.add(s.kilnData().resolve(folderName).toString());
            out.add(s.kilnData().toString());
        }
        if (s.systemRoot() != null) out.add(s.systemRoot().resolve(folderName).toString());
        if (s.cacheRoot() != null) out.add(s.cacheRoot().resolve(folderName).toString());
        return out;
    }

    /**
     * The evaluation data a user named: a dataset name (its test part), a folder of IDX files (the test
     * files if present, else the training files), or a CSV file.
     */
    static Loaded forEvaluation(String ref, String labelColumn, DataSource source, PrintStream notes) throws IOException {
        String lower = ref.toLowerCase(Locale.ROOT);
        if (NAMES.contains(lower)) return namedTest(lower, source, notes, "evaluating on the 1,000-image test subset");
        Path p = Path.of(ref);
        if (Files.isDirectory(p)) {
            Dataset test = idx(p, "test");
            String which = "test";
            if (test == null) {
                test = idx(p, "train");
                which = "train";
            }
            if (test == null) {
                throw new CliException(p + " holds no IDX image and label files (looked for names like t10k-images-idx3-ubyte[.gz] and "
                        + "t10k-labels-idx1-ubyte[.gz], or train-*); put the files there or name a dataset: " + String.join(", ", NAMES));
            }
            return new Loaded(null, test, "idx", "IDX " + which + " files in " + p);
        }
        if (Files.isRegularFile(p)) return new Loaded(null, csv(p, labelColumn), "csv", "CSV " + p);
        throw new NoSuchFileException(ref, null, "not a file, a folder or a dataset name (" + String.join(", ", NAMES) + ")");
    }

    static Dataset csv(Path file, String labelColumn) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "the CSV file does not exist");
        return Csv.load(file, CsvOptions.of(labelColumn == null ? "label" : labelColumn));
    }

    /**
     * The images and labels of one split in an IDX folder, or null when there are none. Pixels stored as
     * unsigned bytes are scaled to [0, 1], as the MNIST loaders do, so a model trained on either sees the same range.
     */
    static Dataset idx(Path folder, String split) throws IOException {
        Path images = find(folder, split, "images");
        Path labels = find(folder, split, "labels");
        if (images == null || labels == null) return null;
        Idx x = Idx.read(images);
        int[] y = Idx.read(labels).labels();
        if (x.count() != y.length) {
            throw new CliException(images + " has " + x.count() + " samples but " + labels + " has " + y.length + " labels; they must come from the same split");
        }
        float[] data = x.data();
        if (x.type() == Idx.Type.UBYTE) for (int i = 0; i < data.length; i++) data[i] /= 255f;
        int[] shape = java.util.Arrays.copyOfRange(x.shape(), 1, x.shape().length);
        if (shape.length == 0) shape = new int[] {1};
        int classes = 1;
        for (int v : y) classes = Math.max(classes, v + 1);
        return new Dataset(data, shape, y, classes);
    }

    private static Path find(Path folder, String split, String kind) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).filter(f -> {
                String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                boolean inSplit = split.equals("train") ? n.startsWith("train") : n.startsWith("t10k") || n.startsWith("test");
                return inSplit && n.contains(kind) && (n.contains("idx") || n.contains("ubyte"));
            }).sorted().findFirst().orElse(null);
        }
    }

    /**
     * Renumbers a test CSV's named classes to the training file's numbering: labels read as names are numbered
     * in sorted order per file, so a test file lacking one class would otherwise shift every later class.
     */
    static Dataset alignClasses(Dataset data, List<String> names, String source) {
        if (names.isEmpty() || data.classNames().equals(names)) return data;
        if (isNumbering(data.classNames())) {
            // The labels are class ids already: only the count and the names change.
            if (data.numClasses() > names.size()) {
                throw new CliException(source + " has " + data.numClasses() + " classes but the model knows " + names.size() + ": " + names
                        + "; use data labelled for this model");
            }
            return withClasses(data, names.size(), isNumbering(names) ? List.of() : names);
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < names.size(); i++) index.put(names.get(i), i);
        int[] y = data.labels();
        for (int i = 0; i < y.length; i++) {
            Integer k = index.get(data.classNames().get(y[i]));
            if (k == null) {
                throw new CliException(source + ": class '" + data.classNames().get(y[i]) + "' (sample " + i + ") is not one of the "
                        + names.size() + " classes the model knows: " + names);
            }
            y[i] = k;
        }
        return new Dataset(data.features().toFloatArray(), data.sampleShape(), y, names);
    }

    /** Whether class names are only the default numbering "0", "1", ... (no real names). */
    static boolean isNumbering(List<String> names) {
        for (int i = 0; i < names.size(); i++) if (!names.get(i).equals(Integer.toString(i))) return false;
        return true;
    }

    /** The same samples with {@code classes} classes (named, when {@code names} is not empty). */
    static Dataset withClasses(Dataset data, int classes, List<String> names) {
        float[] x = data.features().toFloatArray();
        return names.isEmpty() ? new Dataset(x, data.sampleShape(), data.labels(), classes) : new Dataset(x, data.sampleShape(), data.labels(), names);
    }

    /**
     * The data reshaped to a model's input (a CSV row of 784 values for a (28, 28) model) and, when the model
     * knows its class names, renumbered and named by them.
     */
    static Dataset conform(Dataset data, int[] inputShape, int classes, List<String> modelClassNames, String source) {
        Dataset d = reshape(data, inputShape, source);
        if (modelClassNames.size() == classes) d = alignClasses(d, modelClassNames, source);
        if (d.numClasses() < classes) d = withClasses(d, classes, List.of());
        if (d.numClasses() > classes) {
            throw new CliException(source + " has " + d.numClasses() + " classes but the model predicts " + classes + "; use data labelled for this model");
        }
        return d;
    }

    /**
     * Test data fitted to a saved classifier, as {@code evaluate} and {@code report} both need it: its input
     * shape, its class count (a model that is not a classifier fails here, before any reshaping) and the class
     * names it recorded.
     */
    static Dataset conform(Dataset data, dev.kiln.nn.Model model, String source) {
        return conform(data, model.inputShape(), Models.classes(model), Models.classNames(model), source);
    }

    /** The same samples in a model's input shape, when only the layout differs (784 CSV columns for a (28, 28) model). */
    static Dataset reshape(Dataset data, int[] inputShape, String source) {
        if (Shape.equal(data.sampleShape(), inputShape)) return data;
        if (data.sampleSize() != Shape.size(inputShape)) {
            throw new CliException(source + " has samples of shape " + Shape.str(data.sampleShape()) + " (" + data.sampleSize()
                    + " values) but the model expects " + Shape.str(inputShape) + " (" + Shape.size(inputShape) + " values); use data made for this model");
        }
        float[] x = data.features().toFloatArray();
        return data.classNames().isEmpty() ? new Dataset(x, inputShape, data.labels(), data.numClasses())
                : new Dataset(x, inputShape, data.labels(), data.classNames());
    }
}
