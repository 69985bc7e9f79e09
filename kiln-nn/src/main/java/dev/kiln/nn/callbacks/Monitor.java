package dev.kiln.nn.callbacks;

import java.util.Locale;
import java.util.Map;

/**
 * Which logged metric a callback watches and which direction counts as better: the shared part of
 * {@link EarlyStopping}, {@link ModelCheckpoint} and {@link ReduceLROnPlateau}, as Keras's
 * {@code monitor}, {@code mode} and {@code min_delta} arguments.
 *
 * <p>A value improves on the best so far when it beats it by more than {@code minDelta}: for
 * {@link Mode#MIN} {@code current < best - minDelta}, for {@link Mode#MAX} {@code current > best + minDelta}.
 * NaN never improves. Immutable and thread-safe.
 *
 * @param name     log key to watch ({@code val_loss}, {@code accuracy}, ...)
 * @param mode     direction; {@link Mode#AUTO} resolves by name
 * @param minDelta smallest change that counts as an improvement, {@code >= 0}
 */
public record Monitor(String name, Mode mode, double minDelta) {

    /** Whether lower or higher values are better. */
    public enum Mode {
        /** Lower is better (losses, errors). */
        MIN,
        /** Higher is better (accuracy, F1). */
        MAX,
        /** As Keras 2: higher is better when the name contains {@code acc}, lower otherwise. */
        AUTO
    }

    public Monitor {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("monitor name must be a log key such as \"val_loss\" or \"accuracy\", got " + (name == null ? "null" : "\"" + name + "\""));
        if (mode == null) throw new IllegalArgumentException("monitor mode must be MIN, MAX or AUTO, got null");
        if (!(minDelta >= 0 && minDelta < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("minDelta must be a finite number >= 0 (it is an absolute amount; the direction comes from the mode), got " + minDelta);
        }
    }

    /** Whether higher values are better, with {@link Mode#AUTO} resolved from the name. */
    public boolean higherIsBetter() {
        // Resolved on use, not stored, so withName on an AUTO monitor re-resolves for the new name.
        return mode == Mode.MAX || mode == Mode.AUTO && name.toLowerCase(Locale.ROOT).contains("acc");
    }

    /** The starting "best": +infinity for MIN and -infinity for MAX, so the first finite value improves. */
    public double worst() {
        return higherIsBetter() ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /** Whether {@code current} beats {@code best} by more than {@code minDelta}. */
    public boolean improves(double current, double best) {
        return higherIsBetter() ? current > best + minDelta : current < best - minDelta;
    }

    /**
     * The monitored value in an epoch's logs. A missing key is a configuration mistake (a typo, or
     * {@code val_*} without validation data), so it fails loudly instead of Keras's warning.
     *
     * @param owner the callback's name, for the message
     */
    public double valueIn(Map<String, Double> logs, String owner) {
        Double v = logs.get(name);
        if (v == null) {
            String hint = name.startsWith("val_")
                    ? "; val_* keys exist only with validation: set FitOptions.withValidationData(...) or withValidationSplit(0.2)"
                    : "; monitor one of the available keys";
            throw new IllegalArgumentException(owner + " monitors '" + name + "' but the epoch logs have only " + logs.keySet() + hint);
        }
        return v;
    }

    /** Whether the logs contain the monitored key. */
    public boolean presentIn(Map<String, Double> logs) {
        return logs.containsKey(name);
    }

    public Monitor withName(String v) { return new Monitor(v, mode, minDelta); }

    public Monitor withMode(Mode v) { return new Monitor(name, v, minDelta); }

    public Monitor withMinDelta(double v) { return new Monitor(name, mode, v); }
}
