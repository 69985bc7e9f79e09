package dev.kiln.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Per-epoch metrics of a {@code fit} call, like Keras's {@code History.history}. */
public final class History {
    private final List<Map<String, Double>> epochs = new ArrayList<>();
    private String stopReason;

    public void add(Map<String, Double> logs) {
        epochs.add(Collections.unmodifiableMap(new LinkedHashMap<>(logs)));
    }

    /** Metrics of every completed epoch, in order. */
    public List<Map<String, Double>> epochs() {
        return Collections.unmodifiableList(epochs);
    }

    /** One metric across epochs ({@code history.get("val_loss")}); NaN where an epoch lacks it. */
    public double[] get(String metric) {
        double[] out = new double[epochs.size()];
        for (int i = 0; i < out.length; i++) out[i] = epochs.get(i).getOrDefault(metric, Double.NaN);
        return out;
    }

    /** Metric names in first-seen order. */
    public Set<String> metrics() {
        Set<String> keys = new LinkedHashSet<>();
        for (Map<String, Double> e : epochs) keys.addAll(e.keySet());
        return keys;
    }

    public int size() {
        return epochs.size();
    }

    /** Why training ended early, or null when it ran all epochs. */
    public String stopReason() {
        return stopReason;
    }

    void stopReason(String reason) {
        this.stopReason = reason;
    }

    /** CSV with an {@code epoch} column then one column per metric. */
    public String toCsv() {
        List<String> keys = new ArrayList<>(metrics());
        StringBuilder sb = new StringBuilder("epoch");
        for (String k : keys) sb.append(',').append(k);
        sb.append('\n');
        for (int i = 0; i < epochs.size(); i++) {
            sb.append(i + 1);
            for (String k : keys) {
                Double v = epochs.get(i).get(k);
                sb.append(',').append(v == null ? "" : format(v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** JSON object of metric name → array of per-epoch values (Keras's {@code history.history}). */
    public String toJson() {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (String k : metrics()) {
            sb.append(first ? "" : ", ").append('"').append(k).append("\": [");
            double[] v = get(k);
            for (int i = 0; i < v.length; i++) sb.append(i > 0 ? ", " : "").append(Double.isFinite(v[i]) ? format(v[i]) : "null");
            sb.append(']');
            first = false;
        }
        return sb.append("}").toString();
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
