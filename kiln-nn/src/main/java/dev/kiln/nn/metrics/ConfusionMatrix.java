package dev.kiln.nn.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Counts of (true class, predicted class) pairs, with the per-class and averaged scores derived from them.
 * Rows are true classes and columns predicted classes, as in scikit-learn's {@code confusion_matrix}.
 *
 * <p><b>Undefined scores are 0</b>, like scikit-learn's {@code zero_division=0}: precision of a class that
 * was never predicted, recall of a class with no true samples, F1 when both precision and recall are 0,
 * and accuracy of an empty matrix. F1 is computed as {@code 2·tp / (2·tp + fp + fn)}, which equals the
 * harmonic mean of precision and recall wherever both are defined.
 *
 * <p><b>Averages run over all {@code numClasses} classes</b>, including classes absent from both the true
 * and the predicted labels (they score 0 and pull macro averages down). That is scikit-learn with
 * {@code labels=range(numClasses)}; its default, without {@code labels}, averages only over classes that
 * occur. Weighted averages weight each class by its support (number of true samples), so absent classes
 * do not affect them.
 *
 * <p>Not thread-safe: fill it from one thread (or merge per-thread matrices with {@link #addAll}).
 */
public final class ConfusionMatrix {
    private final int numClasses;
    private final List<String> classNames;   // exactly numClasses names; generated "0", "1", ... when none given
    private final long[] counts;             // (numClasses, numClasses), row = true, column = predicted

    /** An empty matrix for classes {@code 0..numClasses-1}, named by their numbers. */
    public ConfusionMatrix(int numClasses) {
        this(numClasses, List.of());
    }

    /** An empty matrix whose class {@code i} is called {@code classNames.get(i)}. */
    public ConfusionMatrix(List<String> classNames) {
        this(classNames == null ? 0 : classNames.size(), classNames);
    }

    /**
     * An empty matrix with {@code numClasses} classes and either no names (empty list) or one per class.
     */
    public ConfusionMatrix(int numClasses, List<String> classNames) {
        if (classNames == null) throw new IllegalArgumentException("classNames must not be null; pass List.of() for unnamed classes");
        if (numClasses < 1) throw new IllegalArgumentException("a confusion matrix needs at least 1 class, got " + numClasses);
        if (!classNames.isEmpty() && classNames.size() != numClasses) {
            throw new IllegalArgumentException(classNames.size() + " class names for " + numClasses + " classes; give one name per class or none");
        }
        if ((long) numClasses * numClasses > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(numClasses + " classes need " + (long) numClasses * numClasses + " cells, more than an array holds");
        }
        this.numClasses = numClasses;
        List<String> names = new ArrayList<>(numClasses);
        for (int c = 0; c < numClasses; c++) {
            String n = classNames.isEmpty() ? Integer.toString(c) : classNames.get(c);
            if (n == null) throw new IllegalArgumentException("class name " + c + " is null; every class needs a name");
            names.add(n);
        }
        this.classNames = List.copyOf(names);
        this.counts = new long[numClasses * numClasses];
    }

    /** Counts one pair per position; both arrays must have the same length and hold labels in {@code [0, numClasses)}. */
    public ConfusionMatrix add(int[] trueLabels, int[] predicted) {
        if (trueLabels == null || predicted == null) throw new IllegalArgumentException("trueLabels and predicted must not be null");
        if (trueLabels.length != predicted.length) {
            throw new IllegalArgumentException(trueLabels.length + " true labels but " + predicted.length + " predictions; pass one prediction per sample");
        }
        // Check everything first so a bad label leaves the matrix unchanged.
        for (int i = 0; i < trueLabels.length; i++) {
            checkLabel(trueLabels[i], "true label", i);
            checkLabel(predicted[i], "predicted label", i);
        }
        for (int i = 0; i < trueLabels.length; i++) counts[trueLabels[i] * numClasses + predicted[i]]++;
        return this;
    }

    /** Counts one (true, predicted) pair. */
    public ConfusionMatrix add(int trueLabel, int predicted) {
        return add(new int[] {trueLabel}, new int[] {predicted});
    }

    /** Adds every count of {@code other}, which must have the same classes. */
    public ConfusionMatrix addAll(ConfusionMatrix other) {
        if (other.numClasses != numClasses || !other.classNames.equals(classNames)) {
            throw new IllegalArgumentException("cannot merge a matrix of classes " + other.classNames + " into one of " + classNames);
        }
        for (int i = 0; i < counts.length; i++) counts[i] += other.counts[i];
        return this;
    }

    private void checkLabel(int label, String what, int index) {
        if (label < 0 || label >= numClasses) {
            throw new IllegalArgumentException(what + " " + label + " at index " + index + " is out of range for " + numClasses
                    + " classes (valid: 0.." + (numClasses - 1) + "); build the matrix with the model's number of outputs");
        }
    }

    public int numClasses() {
        return numClasses;
    }

    /** The class names; {@code "0", "1", ...} when the classes are unnamed. */
    public List<String> classNames() {
        return classNames;
    }

    /** Samples of true class {@code trueClass} predicted as {@code predictedClass}. */
    public long count(int trueClass, int predictedClass) {
        checkClass(trueClass);
        checkClass(predictedClass);
        return counts[trueClass * numClasses + predictedClass];
    }

    /** All samples counted. */
    public long total() {
        long t = 0;
        for (long c : counts) t += c;
        return t;
    }

    /** True samples of class {@code c} (its row sum). */
    public long support(int c) {
        checkClass(c);
        long s = 0;
        for (int p = 0; p < numClasses; p++) s += counts[c * numClasses + p];
        return s;
    }

    /** Samples predicted as class {@code c} (its column sum). */
    public long predictedCount(int c) {
        checkClass(c);
        long s = 0;
        for (int t = 0; t < numClasses; t++) s += counts[t * numClasses + c];
        return s;
    }

    /** Correct predictions over all samples; 0 when empty. */
    public double accuracy() {
        long total = total();
        long correct = 0;
        for (int c = 0; c < numClasses; c++) correct += counts[c * numClasses + c];
        return ratio(correct, total);
    }

    /** tp / (tp + fp); 0 when class {@code c} was never predicted. */
    public double precision(int c) {
        return ratio(count(c, c), predictedCount(c));
    }

    /** tp / (tp + fn); 0 when class {@code c} has no true samples. */
    public double recall(int c) {
        return ratio(count(c, c), support(c));
    }

    /** 2·tp / (2·tp + fp + fn); 0 when that is 0/0. */
    public double f1(int c) {
        long tp = count(c, c);
        return ratio(2 * tp, support(c) + predictedCount(c));   // support = tp + fn, predicted = tp + fp
    }

    public double macroPrecision() {
        double s = 0;
        for (int c = 0; c < numClasses; c++) s += precision(c);
        return s / numClasses;
    }

    public double macroRecall() {
        double s = 0;
        for (int c = 0; c < numClasses; c++) s += recall(c);
        return s / numClasses;
    }

    public double macroF1() {
        double s = 0;
        for (int c = 0; c < numClasses; c++) s += f1(c);
        return s / numClasses;
    }

    /** Precision averaged with each class weighted by its support; 0 when empty. */
    public double weightedPrecision() {
        double s = 0;
        for (int c = 0; c < numClasses; c++) s += precision(c) * support(c);
        return safeDivide(s, total());
    }

    /** Recall averaged with each class weighted by its support (equals accuracy); 0 when empty. */
    public double weightedRecall() {
        double s = 0;
        for (int c = 0; c < numClasses; c++) s += recall(c) * support(c);
        return safeDivide(s, total());
    }

    /** F1 averaged with each class weighted by its support; 0 when empty. */
    public double weightedF1() {
        double s = 0;
        for (int c = 0; c < numClasses; c++) s += f1(c) * support(c);
        return safeDivide(s, total());
    }

    /** The scikit-learn-style per-class report of this matrix. */
    public ClassificationReport report() {
        return ClassificationReport.of(this);
    }

    private void checkClass(int c) {
        if (c < 0 || c >= numClasses) {
            throw new IndexOutOfBoundsException("class " + c + " is out of range for " + numClasses + " classes (valid: 0.." + (numClasses - 1) + ")");
        }
    }

    private static double ratio(long num, long den) {
        return den == 0 ? 0.0 : (double) num / den;
    }

    private static double safeDivide(double num, long den) {
        return den == 0 ? 0.0 : num / den;
    }

    /**
     * The matrix as an aligned text table: true classes down the side, predicted classes across, with a
     * header naming the axes.
     */
    @Override
    public String toString() {
        String corner = "true \\ pred";
        int labelWidth = corner.length();
        for (String n : classNames) labelWidth = Math.max(labelWidth, n.length());
        int cellWidth = 1;
        for (String n : classNames) cellWidth = Math.max(cellWidth, n.length());
        for (long c : counts) cellWidth = Math.max(cellWidth, Long.toString(c).length());
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-" + labelWidth + "s", corner));
        for (String n : classNames) sb.append("  ").append(String.format(Locale.ROOT, "%" + cellWidth + "s", n));
        sb.append('\n');
        for (int t = 0; t < numClasses; t++) {
            sb.append(String.format(Locale.ROOT, "%-" + labelWidth + "s", classNames.get(t)));
            for (int p = 0; p < numClasses; p++) sb.append("  ").append(String.format(Locale.ROOT, "%" + cellWidth + "d", counts[t * numClasses + p]));
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * The matrix as CSV: a header {@code true\predicted,<class>,...}, then one row per true class starting
     * with its name. Names containing commas, quotes or line breaks are quoted (RFC 4180).
     */
    public String toCsv() {
        StringBuilder sb = new StringBuilder("true\\predicted");
        for (String n : classNames) sb.append(',').append(csvField(n));
        sb.append('\n');
        for (int t = 0; t < numClasses; t++) {
            sb.append(csvField(classNames.get(t)));
            for (int p = 0; p < numClasses; p++) sb.append(',').append(counts[t * numClasses + p]);
            sb.append('\n');
        }
        return sb.toString();
    }

    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
