package dev.kiln.data.text;

import dev.kiln.core.Rng;
import dev.kiln.data.Dataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Labelled texts: one class index per text (e.g. 0 ham, 1 spam). {@link #encode} turns them into a
 * {@link Dataset} of padded token ids, which is what an {@code Embedding} layer eats.
 *
 * <p>Texts may be empty (they encode to all padding) and of any length (over-long ones are truncated to
 * {@code maxLen} tokens by {@link Sequences#padSequences}, by default keeping their end); null texts are
 * refused when the dataset is made. Immutable, thread-safe.
 */
public final class TextDataset {
    private final List<String> texts;
    private final int[] labels;
    private final List<String> classNames;

    /**
     * @param classNames one name per class; labels must lie in {@code [0, classNames.size())}
     */
    public TextDataset(List<String> texts, int[] labels, List<String> classNames) {
        Objects.requireNonNull(texts, "texts");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(classNames, "classNames");
        if (classNames.isEmpty()) throw new IllegalArgumentException("a text dataset needs at least one class name, e.g. List.of(\"ham\", \"spam\")");
        if (texts.size() != labels.length) {
            throw new IllegalArgumentException(texts.size() + " texts but " + labels.length + " labels; give exactly one label per text");
        }
        for (int i = 0; i < labels.length; i++) {
            if (texts.get(i) == null) throw new IllegalArgumentException("text " + i + " is null; use \"\" for an empty text");
            if (labels[i] < 0 || labels[i] >= classNames.size()) {
                throw new IllegalArgumentException("label " + labels[i] + " of text " + i + " is outside 0.." + (classNames.size() - 1)
                        + " for classes " + classNames);
            }
        }
        this.texts = List.copyOf(texts);
        this.labels = labels.clone();
        this.classNames = List.copyOf(classNames);
    }

    public int size() {
        return labels.length;
    }

    /** The texts, index-aligned with {@link #labels()}; unmodifiable. */
    public List<String> texts() {
        return texts;
    }

    public String text(int i) {
        return texts.get(i);
    }

    /** A fresh copy of the labels. */
    public int[] labels() {
        return labels.clone();
    }

    public int label(int i) {
        Objects.checkIndex(i, labels.length);
        return labels[i];
    }

    public List<String> classNames() {
        return classNames;
    }

    /** How many texts each class has, indexed by class. */
    public int[] classCounts() {
        int[] c = new int[classNames.size()];
        for (int y : labels) c[y]++;
        return c;
    }

    /** The texts at {@code indices}, in that order. */
    public TextDataset subset(int[] indices) {
        List<String> t = new ArrayList<>(indices.length);
        int[] y = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            Objects.checkIndex(indices[k], labels.length);
            t.add(texts.get(indices[k]));
            y[k] = labels[indices[k]];
        }
        return new TextDataset(t, y, classNames);
    }

    /** Every text passed through {@code f} (e.g. {@link SpamAssassin#body}), labels unchanged. */
    public TextDataset mapTexts(UnaryOperator<String> f) {
        Objects.requireNonNull(f, "f");
        List<String> t = new ArrayList<>(texts.size());
        for (String s : texts) t.add(f.apply(s));
        return new TextDataset(t, labels, classNames);
    }

    /** A training part and a held-out test part, disjoint and together complete. */
    public record Split(TextDataset train, TextDataset test) {
        public Split {
            Objects.requireNonNull(train, "train");
            Objects.requireNonNull(test, "test");
        }
    }

    /**
     * A seeded stratified split: from each class, {@code round(count × testFraction)} texts go to the test
     * part, so both parts keep the class proportions. Each part comes in a seeded random order (classes
     * mixed), so taking its last fraction as validation is fair too.
     *
     * @param testFraction in (0, 1); both parts must end up non-empty
     */
    public Split split(double testFraction, long seed) {
        if (!(testFraction > 0 && testFraction < 1)) throw new IllegalArgumentException("test fraction must be in (0, 1), got " + testFraction);
        Rng rng = new Rng(seed);
        int[] train = new int[size()], test = new int[size()];
        int nTrain = 0, nTest = 0;
        for (int c = 0; c < classNames.size(); c++) {
            int[] members = new int[size()];
            int m = 0;
            for (int i = 0; i < labels.length; i++) if (labels[i] == c) members[m++] = i;
            members = Arrays.copyOf(members, m);
            rng.shuffle(members);
            int k = (int) Math.round(m * testFraction);
            for (int j = 0; j < m; j++) {
                if (j < k) test[nTest++] = members[j];
                else train[nTrain++] = members[j];
            }
        }
        if (nTrain == 0 || nTest == 0) {
            throw new IllegalArgumentException("test fraction " + testFraction + " of " + size() + " texts leaves " + nTrain + " for training and "
                    + nTest + " for testing; both need at least 1, so use a " + (nTest == 0 ? "larger" : "smaller") + " fraction or more data");
        }
        train = Arrays.copyOf(train, nTrain);
        test = Arrays.copyOf(test, nTest);
        rng.shuffle(train);
        rng.shuffle(test);
        return new Split(subset(train), subset(test));
    }

    /** Token ids padded and truncated as Keras's defaults do (pre, pre, 0); see {@link #encode(Tokenizer, int, Sequences.Padding, Sequences.Truncating)}. */
    public Dataset encode(Tokenizer tokenizer, int maxLen) {
        return encode(tokenizer, maxLen, Sequences.Padding.PRE, Sequences.Truncating.PRE);
    }

    /**
     * A {@link Dataset} whose features are each text's token ids, padded with {@link Tokenizer#PAD} or
     * truncated to {@code maxLen} (as floats, sample shape {@code (maxLen)}), labels and class names kept.
     */
    public Dataset encode(Tokenizer tokenizer, int maxLen, Sequences.Padding padding, Sequences.Truncating truncating) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        List<int[]> ids = new ArrayList<>(texts.size());
        for (String t : texts) ids.add(tokenizer.encode(t));
        float[] x = Sequences.padToFloats(ids, maxLen, padding, truncating, Tokenizer.PAD);
        return new Dataset(x, new int[] {maxLen}, labels.clone(), classNames);
    }

    @Override
    public String toString() {
        return "TextDataset(" + size() + " texts, classes " + classNames + " " + Arrays.toString(classCounts()) + ")";
    }
}
