package dev.kiln.data;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;

/**
 * An in-memory classification dataset: {@code n} samples of one shape, each with a class index.
 *
 * <p>Features live in one row-major {@code float[]} of {@code n × sampleSize} floats, so a sample is a
 * contiguous run and batching is one {@code System.arraycopy} per sample (one per batch when unshuffled).
 * A dataset is immutable by contract: the constructors take ownership of the arrays passed in (no copy,
 * because an image set can be hundreds of MB) and every derived dataset ({@link #subset}, {@link #slice},
 * {@link #map}, {@link #split}) owns fresh arrays. Immutable, hence safe to share between threads;
 * the iterators of {@link #batches} are not.
 */
public final class Dataset {
    private final float[] features;   // (n, ...sampleShape), row-major
    private final int[] sampleShape;
    private final int sampleSize;
    private final int[] labels;       // (n,), each in [0, numClasses)
    private final int numClasses;
    private final List<String> classNames;   // empty, or numClasses names
    private final Augmentation augmentation; // null: training batches are the stored samples

    /**
     * A dataset over {@code features} (taken over, not copied) with unnamed classes {@code 0..numClasses-1}.
     *
     * @throws IllegalArgumentException when the lengths disagree or a label is out of range
     */
    public Dataset(float[] features, int[] sampleShape, int[] labels, int numClasses) {
        this(features, sampleShape, labels, numClasses, List.of());
    }

    /** A dataset whose class {@code i} is called {@code classNames.get(i)}; the number of classes is the list's size. */
    public Dataset(float[] features, int[] sampleShape, int[] labels, List<String> classNames) {
        this(features, sampleShape, labels, Objects.requireNonNull(classNames, "classNames").size(), classNames);
    }

    private Dataset(float[] features, int[] sampleShape, int[] labels, int numClasses, List<String> classNames) {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(sampleShape, "sampleShape");
        Objects.requireNonNull(labels, "labels");
        this.sampleShape = sampleShape.clone();
        for (int d : this.sampleShape) {
            if (d <= 0) {
                throw new IllegalArgumentException("sample shape " + Shape.str(sampleShape)
                        + " has a dimension below 1; every dimension of a sample must be at least 1");
            }
        }
        this.sampleSize = Shape.size(this.sampleShape);
        if (features.length % sampleSize != 0) {
            throw new IllegalArgumentException("features have " + features.length + " floats, which is not a multiple of the sample size "
                    + sampleSize + " of shape " + Shape.str(sampleShape) + "; check the sample shape or the feature array");
        }
        int n = features.length / sampleSize;
        if (n != labels.length) {
            throw new IllegalArgumentException("features hold " + n + " samples of shape " + Shape.str(sampleShape)
                    + " but there are " + labels.length + " labels; give exactly one label per sample");
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("a dataset needs at least 1 class, got " + numClasses);
        }
        if (!classNames.isEmpty() && classNames.size() != numClasses) {
            throw new IllegalArgumentException(classNames.size() + " class names for " + numClasses + " classes; give one name per class or none");
        }
        checkLabels(labels, numClasses);
        this.features = features;
        this.labels = labels;
        this.numClasses = numClasses;
        this.classNames = List.copyOf(classNames);   // also rejects null names
        this.augmentation = null;
    }

    /** {@code base}'s arrays (shared, not copied) and checked fields, with another augmentation. */
    private Dataset(Dataset base, Augmentation augmentation) {
        this.features = base.features;
        this.sampleShape = base.sampleShape;
        this.sampleSize = base.sampleSize;
        this.labels = base.labels;
        this.numClasses = base.numClasses;
        this.classNames = base.classNames;
        this.augmentation = augmentation;
    }

    private static void checkLabels(int[] labels, int numClasses) {
        int bad = 0;
        int first = -1;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                if (bad++ == 0) first = i;
            }
        }
        if (bad > 0) {
            throw new IllegalArgumentException("label " + labels[first] + " at index " + first + " is out of range for "
                    + numClasses + " classes (valid: 0.." + (numClasses - 1) + "); " + bad + " of " + labels.length
                    + " labels are out of range. Pass the right number of classes or fix the labels");
        }
    }

    /** A dataset built from arrays that this class made itself from an already checked one; keeps the augmentation. */
    private Dataset derived(float[] newFeatures, int[] newLabels) {
        Dataset d = new Dataset(newFeatures, sampleShape, newLabels, numClasses, classNames);
        return augmentation == null ? d : new Dataset(d, augmentation);
    }

    // ---------------------------------------------------------------- augmentation

    /**
     * The same samples (sharing this dataset's arrays, no copy) whose training batches are augmented: every
     * pass of {@link #batches} that is given an {@code Rng} applies {@code augmentation} to each batch, drawing
     * from a generator split off that {@code Rng}, so each epoch sees new variations and the fit seed fixes
     * them all. Passes without an {@code Rng} (evaluation, prediction) see the stored samples, as Keras's
     * augmentation layers are active only in training. Subsets, slices, splits and maps keep the
     * augmentation: to validate on clean data either way, split first and augment the training part.
     */
    public Dataset augmented(Augmentation augmentation) {
        return new Dataset(this, Objects.requireNonNull(augmentation, "augmentation"));
    }

    /** The augmentation applied to training batches, or null when there is none. */
    public Augmentation augmentation() {
        return augmentation;
    }

    /** The same samples without augmentation (this dataset when it has none). */
    public Dataset withoutAugmentation() {
        return augmentation == null ? this : new Dataset(this, (Augmentation) null);
    }

    // ---------------------------------------------------------------- accessors

    /** Number of samples. */
    public int size() {
        return labels.length;
    }

    /** The shape of one sample, e.g. {@code (28, 28)}; a fresh copy. */
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** Floats per sample (the product of {@link #sampleShape()}). */
    public int sampleSize() {
        return sampleSize;
    }

    public int numClasses() {
        return numClasses;
    }

    /** The class names, index-aligned with the labels; empty when the classes are unnamed. */
    public List<String> classNames() {
        return classNames;
    }

    /** The class indices, one per sample; a fresh copy. */
    public int[] labels() {
        return labels.clone();
    }

    /** The class index of sample {@code i}. */
    public int label(int i) {
        Objects.checkIndex(i, labels.length);
        return labels[i];
    }

    /** How many samples each class has, indexed by class. */
    public int[] classCounts() {
        int[] counts = new int[numClasses];
        for (int y : labels) counts[y]++;
        return counts;
    }

    /**
     * All features as a tensor of shape {@code (n, ...sampleShape)}. It wraps the dataset's own storage
     * (no copy): treat it as read-only, or {@code copy()} it before changing it.
     */
    public Tensor features() {
        return Tensor.of(features, batchShape(size()));
    }

    /** The backing array, for the fitters in this package; never handed out. */
    float[] rawFeatures() {
        return features;
    }

    private int[] batchShape(int n) {
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = n;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        return shape;
    }

    // ---------------------------------------------------------------- derived datasets

    /** The samples at {@code indices}, in that order (repeats allowed, e.g. for bootstrapping); copies. */
    public Dataset subset(int[] indices) {
        Objects.requireNonNull(indices, "indices");
        int n = size();
        for (int k = 0; k < indices.length; k++) {
            if (indices[k] < 0 || indices[k] >= n) {
                throw new IndexOutOfBoundsException("subset index " + indices[k] + " at position " + k
                        + " is out of range for a dataset of " + n + " samples (valid: 0.." + (n - 1) + ")");
            }
        }
        float[] x = new float[Math.multiplyExact(indices.length, sampleSize)];
        int[] y = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            System.arraycopy(features, indices[k] * sampleSize, x, k * sampleSize, sampleSize);
            y[k] = labels[indices[k]];
        }
        return derived(x, y);
    }

    /** Samples {@code from} (inclusive) to {@code to} (exclusive); copies. */
    public Dataset slice(int from, int to) {
        if (from < 0 || to < from || to > size()) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") is not within [0, " + size()
                    + "]; need 0 <= from <= to <= size()");
        }
        return derived(Arrays.copyOfRange(features, from * sampleSize, to * sampleSize), Arrays.copyOfRange(labels, from, to));
    }

    /** A copy with {@code transform} applied to every sample; this dataset is left unchanged. */
    public Dataset map(FeatureTransform transform) {
        Objects.requireNonNull(transform, "transform");
        float[] x = features.clone();
        for (int off = 0; off < x.length; off += sampleSize) transform.applyInPlace(x, off, sampleSize);
        return derived(x, labels.clone());
    }

    /** A training part and a held-out validation part of one dataset, disjoint and together complete. */
    public record Split(Dataset train, Dataset validation) {
        public Split {
            Objects.requireNonNull(train, "train");
            Objects.requireNonNull(validation, "validation");
        }
    }

    /**
     * A seeded random split: {@code round(size() × validationFraction)} samples go to validation, the rest
     * to training, both in shuffled order. Not stratified: with few samples per class, check
     * {@link #classCounts()} of the parts.
     *
     * @param validationFraction in (0, 1), and such that both parts get at least one sample
     */
    public Split split(double validationFraction, Rng rng) {
        Objects.requireNonNull(rng, "rng");
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + validationFraction);
        }
        int n = size();
        int nVal = (int) Math.round(n * validationFraction);
        if (nVal < 1 || nVal > n - 1) {
            throw new IllegalArgumentException("validation fraction " + validationFraction + " of " + n + " samples gives "
                    + nVal + " validation and " + (n - nVal) + " training samples; both need at least 1, so use a "
                    + (nVal < 1 ? "larger" : "smaller") + " fraction or more data");
        }
        int[] perm = rng.permutation(n);
        return new Split(subset(Arrays.copyOfRange(perm, nVal, n)), subset(Arrays.copyOf(perm, nVal)));
    }

    // ---------------------------------------------------------------- batching

    /** How many batches {@link #batches} yields per pass: {@code ceil(size() / batchSize)}. */
    public int numBatches(int batchSize) {
        checkBatchSize(batchSize);
        return (size() + batchSize - 1) / batchSize;
    }

    private static void checkBatchSize(int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }

    /**
     * Mini-batches covering every sample once; the last may be smaller. Each call to {@code iterator()} is
     * a new pass (epoch) and, when {@code shuffle} is set, draws a new order from {@code rng}, so looping
     * over the same {@code Iterable} once per epoch reshuffles every epoch, reproducibly from the seed.
     * Each batch allocates exactly one {@code float[]} and one {@code int[]}.
     *
     * @param rng the source of the order and of the {@linkplain #augmented augmentation}; may be null only when
     *     {@code shuffle} is false, and then batches are never augmented
     */
    public Iterable<Batch> batches(int batchSize, boolean shuffle, Rng rng) {
        checkBatchSize(batchSize);
        if (shuffle && rng == null) {
            throw new IllegalArgumentException("shuffled batches need an Rng, got null; pass new Rng(seed) or shuffle=false");
        }
        return () -> {
            int[] order = shuffle ? rng.permutation(size()) : null;
            return new BatchIterator(batchSize, order, augmentation != null && rng != null ? rng.split() : null, null);
        };
    }

    /**
     * The same batches as {@link #batches} (same order, same augmentation, for the same {@code rng}), but
     * written into buffers that this {@code Iterable} keeps and refills, so that a warmed-up pass allocates
     * nothing: full batches alternate between two buffers, and <b>a batch stays valid only until the
     * next-but-one batch is taken</b> (the one before it may still be read while the next is used). Nor may
     * two passes over the same {@code Iterable} run at once. For training loops that are done with a batch
     * when they take the next one; keep or modify a batch's arrays only with {@link #batches}.
     */
    public Iterable<Batch> reusedBatches(int batchSize, boolean shuffle, Rng rng) {
        checkBatchSize(batchSize);
        if (shuffle && rng == null) {
            throw new IllegalArgumentException("shuffled batches need an Rng, got null; pass new Rng(seed) or shuffle=false");
        }
        Buffers buffers = new Buffers(batchSize);
        return () -> {
            int[] order = null;
            if (shuffle) {
                // rng.permutation(size()) without a new array per pass: the same identity fill and shuffle.
                order = buffers.order;
                for (int i = 0; i < order.length; i++) order[i] = i;
                rng.shuffle(order);
            }
            return new BatchIterator(batchSize, order, augmentation != null && rng != null ? rng.split() : null, buffers);
        };
    }

    /** The arrays and batches {@link #reusedBatches} refills: two of the full size, and one for the short last batch. */
    private final class Buffers {
        final int[] order = new int[size()];
        final Batch[] full = new Batch[2];
        Batch last;   // the short last batch of a pass, when there is one
        int turn;

        Buffers(int batchSize) {
            int b = Math.min(batchSize, size());
            for (int i = 0; i < 2; i++) full[i] = new Batch(Tensor.of(new float[b * sampleSize], batchShape(b)), new int[b]);
        }

        /** The batch to fill next for {@code b} samples. */
        Batch take(int b) {
            if (b == full[0].size()) return full[turn++ & 1];
            if (last == null || last.size() != b) last = new Batch(Tensor.of(new float[b * sampleSize], batchShape(b)), new int[b]);
            return last;
        }
    }

    private final class BatchIterator implements Iterator<Batch> {
        private final int batchSize;
        private final int[] order;   // null: natural order, copied in one block per batch
        private final Rng augmentRng;   // null: no augmentation in this pass
        private final int[] shape = sampleShape.clone();   // handed to the augmentation, which must not keep it
        private final Buffers buffers;   // null: a fresh batch each time
        private int next;

        BatchIterator(int batchSize, int[] order, Rng augmentRng, Buffers buffers) {
            this.batchSize = batchSize;
            this.order = order;
            this.augmentRng = augmentRng;
            this.buffers = buffers;
        }

        @Override
        public boolean hasNext() {
            return next < size();
        }

        @Override
        public Batch next() {
            if (!hasNext()) throw new NoSuchElementException("no batches left in this pass over " + size() + " samples");
            int b = Math.min(batchSize, size() - next);
            Batch reused = buffers == null ? null : buffers.take(b);
            float[] x = reused == null ? new float[b * sampleSize] : reused.x().rawFloats();   // (B, ...sampleShape)
            int[] y = reused == null ? new int[b] : reused.y();
            if (order == null) {
                System.arraycopy(features, next * sampleSize, x, 0, b * sampleSize);
                System.arraycopy(labels, next, y, 0, b);
            } else {
                for (int k = 0; k < b; k++) {
                    int i = order[next + k];
                    System.arraycopy(features, i * sampleSize, x, k * sampleSize, sampleSize);
                    y[k] = labels[i];
                }
            }
            next += b;
            if (augmentRng != null) augmentation.applyInPlace(x, b, shape, augmentRng);
            return reused != null ? reused : new Batch(Tensor.of(x, batchShape(b)), y);
        }
    }

    @Override
    public String toString() {
        return "Dataset(" + size() + " samples of shape " + Shape.str(sampleShape) + ", " + numClasses + " classes)";
    }
}
