package dev.kiln.nn.callbacks;

import dev.kiln.core.Tensor;
import dev.kiln.nn.Model;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Stops training when a monitored metric has stopped improving, with the semantics of Keras 3's
 * {@code keras.callbacks.EarlyStopping}:
 * <ul>
 *   <li>After each epoch from {@code startFromEpoch} on, the monitored value is compared with the best so
 *       far; it improves when it beats the best by more than {@code minDelta} (see {@link Monitor}).</li>
 *   <li>An epoch without improvement increments a wait counter; when it reaches {@code patience}, training
 *       stops after that epoch. So with {@code patience = 3} and the best at epoch 4, epochs 5, 6 and 7 fail
 *       to improve and the run stops after epoch 7. {@code patience = 0} stops at the first epoch that does
 *       not improve. The first epoch never stops the run.</li>
 *   <li>With a {@code baseline} (not NaN), the wait counter is reset only by values that also beat the
 *       baseline, so a run that never reaches it stops after {@code patience} epochs, as Keras documents
 *       ("training will stop if the model doesn't show improvement over the baseline") and TF-Keras 2 did.
 *       Keras 3's code returns early on any improvement, so there a slowly improving run never stops.</li>
 *   <li>With {@code restoreBestWeights}, a copy of every parameter is kept at each improvement and written
 *       back into the model's parameters when training ends, whether or not it stopped early (Keras 3; Keras
 *       2 restored only on an early stop). When no epoch was ever monitored, the weights stay as they are.</li>
 * </ul>
 * Epochs in messages are 1-based, like {@code fit}'s progress output; the getters use the loop's 0-based
 * indices.
 *
 * <p>A missing monitor key (a typo, or {@code val_loss} without validation data) throws an
 * {@link IllegalArgumentException} naming the available keys, where Keras only warns.
 *
 * <p>Single-threaded, like every callback; reusable across {@code fit} calls (state resets at train begin).
 */
public final class EarlyStopping implements Callback {

    /**
     * @param monitor            what to watch and which direction is better (Keras default {@code val_loss}, AUTO, 0)
     * @param patience           epochs without improvement before stopping, {@code >= 0}
     * @param restoreBestWeights write the best epoch's weights back into the model at the end
     * @param startFromEpoch     warm-up epochs (0-based index of the first monitored epoch), {@code >= 0}
     * @param baseline           a value the metric must beat to count as progress; NaN for none
     */
    public record Config(Monitor monitor, int patience, boolean restoreBestWeights, int startFromEpoch, double baseline) {
        public Config {
            if (monitor == null) throw new IllegalArgumentException("EarlyStopping needs a monitor, e.g. new Monitor(\"val_loss\", Mode.AUTO, 0), got null");
            if (patience < 0) throw new IllegalArgumentException("patience must be >= 0 epochs, got " + patience);
            if (startFromEpoch < 0) throw new IllegalArgumentException("startFromEpoch must be >= 0, got " + startFromEpoch);
            if (Double.isInfinite(baseline)) throw new IllegalArgumentException("baseline must be finite, or NaN for none; got " + baseline);
        }

        /** Keras's defaults: {@code val_loss}, AUTO, minDelta 0, patience 0, no restore, no warm-up, no baseline. */
        public static Config defaults() {
            return new Config(new Monitor("val_loss", Monitor.Mode.AUTO, 0), 0, false, 0, Double.NaN);
        }

        public Config withMonitor(Monitor v) { return new Config(v, patience, restoreBestWeights, startFromEpoch, baseline); }

        public Config withMonitor(String name) { return withMonitor(monitor.withName(name)); }

        public Config withMode(Monitor.Mode v) { return withMonitor(monitor.withMode(v)); }

        public Config withMinDelta(double v) { return withMonitor(monitor.withMinDelta(v)); }

        public Config withPatience(int v) { return new Config(monitor, v, restoreBestWeights, startFromEpoch, baseline); }

        public Config withRestoreBestWeights(boolean v) { return new Config(monitor, patience, v, startFromEpoch, baseline); }

        public Config withStartFromEpoch(int v) { return new Config(monitor, patience, restoreBestWeights, v, baseline); }

        public Config withBaseline(double v) { return new Config(monitor, patience, restoreBestWeights, startFromEpoch, v); }
    }

    private final Config config;
    private double best;
    private int bestEpoch;
    private int wait;
    private int stoppedEpoch;
    private Map<String, float[]> bestWeights;   // parameter name -> copy of its values at the best epoch
    private boolean restored;

    public EarlyStopping(Config config) {
        if (config == null) throw new IllegalArgumentException("config must not be null; use EarlyStopping.Config.defaults()");
        this.config = config;
        reset();
    }

    /** Keras's argument list, without {@code baseline}. */
    public EarlyStopping(String monitor, double minDelta, int patience, Monitor.Mode mode, boolean restoreBestWeights, int startFromEpoch) {
        this(new Config(new Monitor(monitor, mode, minDelta), patience, restoreBestWeights, startFromEpoch, Double.NaN));
    }

    /** Watches {@code monitor} in AUTO mode with no minimum delta. */
    public EarlyStopping(String monitor, int patience, boolean restoreBestWeights) {
        this(monitor, 0, patience, Monitor.Mode.AUTO, restoreBestWeights, 0);
    }

    public Config config() {
        return config;
    }

    private void reset() {
        best = config.monitor().worst();
        bestEpoch = -1;
        wait = 0;
        stoppedEpoch = -1;
        bestWeights = null;
        restored = false;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        reset();
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        Monitor monitor = config.monitor();
        double current = monitor.valueIn(logs, "EarlyStopping");
        if (epoch < config.startFromEpoch()) return;
        // Keras: the first monitored epoch's weights are the best until something beats them, so a run that
        // never improves still restores to a defined point rather than to nothing.
        if (config.restoreBestWeights() && bestWeights == null) {
            bestWeights = snapshot(state.model());
            bestEpoch = epoch;
        }
        wait++;
        if (monitor.improves(current, best)) {
            best = current;
            bestEpoch = epoch;
            if (config.restoreBestWeights()) bestWeights = snapshot(state.model());
            if (Double.isNaN(config.baseline()) || monitor.improves(current, config.baseline())) {
                wait = 0;
                return;
            }
            // Improved, but not past the baseline: still counts towards patience (see the class comment).
        }
        if (wait >= config.patience() && epoch > 0) {
            stoppedEpoch = epoch;
            state.requestStop(String.format(Locale.ROOT, "early stopping: %s did not improve for %d epoch%s (%s)",
                    monitor.name(), wait, wait == 1 ? "" : "s", bestDescription()));
        }
    }

    private String bestDescription() {
        if (bestEpoch < 0 || Double.isInfinite(best)) return "no improving value seen";
        String s = String.format(Locale.ROOT, "best %.4g at epoch %d", best, bestEpoch + 1);
        if (!Double.isNaN(config.baseline()) && !config.monitor().improves(best, config.baseline())) {
            s += String.format(Locale.ROOT, ", never beating the baseline %.4g", config.baseline());
        }
        return s;
    }

    @Override
    public void onTrainEnd(TrainingState state) {
        if (config.restoreBestWeights() && bestWeights != null) {
            restore(state.model(), bestWeights);
            restored = true;
        }
    }

    /** 0-based epoch after which training was stopped, or -1 when it ran to the end. */
    public int stoppedEpoch() {
        return stoppedEpoch;
    }

    /** 0-based epoch of the best monitored value, or -1 before any. */
    public int bestEpoch() {
        return bestEpoch;
    }

    /** The best monitored value so far (+/- infinity before any). */
    public double best() {
        return best;
    }

    /** Whether the best weights were written back at the end of the last run. */
    public boolean restoredBestWeights() {
        return restored;
    }

    private static Map<String, float[]> snapshot(Model model) {
        Map<String, float[]> copy = new LinkedHashMap<>();
        for (var e : model.parameters().entrySet()) copy.put(e.getKey(), e.getValue().rawFloats().clone());
        return copy;
    }

    /** Copies values back in place: the optimiser holds the parameter tensors by identity, so they must stay the same objects. */
    private static void restore(Model model, Map<String, float[]> weights) {
        Map<String, Tensor> params = model.parameters();
        for (var e : weights.entrySet()) {
            Tensor p = params.get(e.getKey());
            if (p == null || p.size() != e.getValue().length) {
                throw new IllegalStateException("cannot restore the best weights: parameter '" + e.getKey() + "' "
                        + (p == null ? "no longer exists" : "changed size from " + e.getValue().length + " to " + p.size())
                        + "; the model's layers must not change during fit");
            }
            System.arraycopy(e.getValue(), 0, p.rawFloats(), 0, e.getValue().length);
        }
    }
}
