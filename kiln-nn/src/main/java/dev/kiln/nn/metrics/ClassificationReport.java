package dev.kiln.nn.metrics;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-class precision, recall, F1 and support with accuracy and macro / weighted averages: the numbers of
 * scikit-learn's {@code classification_report(y_true, y_pred, labels=range(n), zero_division=0)}, and
 * {@link #toString()} prints the same text layout. Scores follow {@link ConfusionMatrix}'s conventions
 * (undefined → 0, averages over all classes).
 *
 * @param classes     one row per class, in class order
 * @param accuracy    correct predictions over all samples
 * @param total       number of samples (the support of the accuracy and average rows)
 * @param macroAvg    unweighted mean over classes
 * @param weightedAvg mean weighted by support
 */
public record ClassificationReport(List<Row> classes, double accuracy, long total, Row macroAvg, Row weightedAvg) {

    /** One line of the report. */
    public record Row(String label, double precision, double recall, double f1, long support) {}

    public ClassificationReport {
        if (classes == null || classes.isEmpty()) throw new IllegalArgumentException("a report needs at least one class row");
        classes = List.copyOf(classes);
    }

    /** The report of a filled confusion matrix. */
    public static ClassificationReport of(ConfusionMatrix m) {
        List<Row> rows = new ArrayList<>();
        for (int c = 0; c < m.numClasses(); c++) {
            rows.add(new Row(m.classNames().get(c), m.precision(c), m.recall(c), m.f1(c), m.support(c)));
        }
        long total = m.total();
        return new ClassificationReport(rows, m.accuracy(), total,
                new Row("macro avg", m.macroPrecision(), m.macroRecall(), m.macroF1(), total),
                new Row("weighted avg", m.weightedPrecision(), m.weightedRecall(), m.weightedF1(), total));
    }

    /** The report with two decimals, laid out exactly as scikit-learn's. */
    @Override
    public String toString() {
        return format(2);
    }

    /** The report with {@code digits} decimals (scikit-learn's {@code digits} argument). */
    public String format(int digits) {
        if (digits < 0 || digits > 9) throw new IllegalArgumentException("digits must be in 0..9, got " + digits);
        // Column layout copied from scikit-learn so reports can be diffed against Python output.
        int width = Math.max("weighted avg".length(), digits);
        for (Row r : classes) width = Math.max(width, r.label().length());
        StringBuilder sb = new StringBuilder();
        sb.append(pad("", width)).append(' ');
        for (String h : new String[] {"precision", "recall", "f1-score", "support"}) sb.append(' ').append(pad(h, 9));
        sb.append("\n\n");
        for (Row r : classes) row(sb, r, width, digits);
        sb.append('\n');
        sb.append(pad("accuracy", width)).append(' ').append(' ').append(pad("", 9)).append(' ').append(pad("", 9))
                .append(' ').append(pad(fixed(accuracy, digits), 9)).append(' ').append(pad(Long.toString(total), 9)).append('\n');
        row(sb, macroAvg, width, digits);
        row(sb, weightedAvg, width, digits);
        return sb.toString();
    }

    private static void row(StringBuilder sb, Row r, int width, int digits) {
        sb.append(pad(r.label(), width)).append(' ');
        for (double v : new double[] {r.precision(), r.recall(), r.f1()}) sb.append(' ').append(pad(fixed(v, digits), 9));
        sb.append(' ').append(pad(Long.toString(r.support()), 9)).append('\n');
    }

    /**
     * {@code v} with {@code digits} decimals, rounded half-to-even on its exact binary value as Python's
     * {@code format} does: Java's {@code %.2f} rounds ties up, so 1/8 would print 0.13 where scikit-learn prints 0.12.
     */
    static String fixed(double v, int digits) {
        if (!Double.isFinite(v)) return Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
        return new BigDecimal(v).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }
}
