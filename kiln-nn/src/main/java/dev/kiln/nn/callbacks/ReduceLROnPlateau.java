package dev.kiln.nn.callbacks;

import dev.kiln.nn.optimizers.Optimizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Multiplies the learning rate by {@code factor} when a monitored metric has stopped improving, with the
 * semantics of Keras's {@code keras.callbacks.ReduceLROnPlateau}:
 * <ul>
 *   <li>An epoch improves when the value beats the best by more than {@code minDelta} (see {@link Monitor});
 *       improvement resets the wait counter.</li>
 *   <li>Otherwise, outside cooldown, the wait counter grows; when it reaches {@code patience} the learning rate
 *       becomes {@code max(lr * factor, minLr)} and the counter resets.</li>
 *   <li>After a reduction at epoch {@code r}, epochs {@code r+1 .. r+cooldown-1} neither wait nor reduce and
 *       waiting resumes at epoch {@code r+cooldown} (Keras counts the cooldown down at the start of each
 *       epoch's check), so the next reduction comes at {@code r + cooldown + patience - 1} at the earliest
 *       ({@code r + patience} without cooldown).</li>
 *   <li>Nothing happens once the learning rate is already at or below {@code minLr}.</li>
 * </ul>
 * The change goes through {@link Optimizer#scaleLearningRate}, which scales the optimiser's schedule: with a
 * decaying schedule the rate keeps decaying from the reduced level, and {@code minLr} is enforced at the
 * moment of the reduction only (the schedule may later take it lower).
 *
 * <p>Quiet: it prints nothing; the reductions are available from {@link #reductions()} and the new rate
 * shows in the next epoch's {@code lr} log. A missing monitor key throws, naming the available keys.
 *
 * <p>Single-threaded, like every callback; state resets at train begin.
 */
public final class ReduceLROnPlateau implements Callback {

    /**
     * @param monitor  what to watch (Keras defaults: {@code val_loss}, AUTO, minDelta 1e-4)
     * @param factor   multiplier in (0, 1) (Keras default 0.1)
     * @param patience epochs without improvement before reducing, {@code >= 0} (Keras default 10)
     * @param cooldown epochs after a reduction before waiting resumes, {@code >= 0} (Keras default 0)
     * @param minLr    the lowest learning rate a reduction may set, {@code >= 0} (Keras default 0)
     */
    public record Config(Monitor monitor, double factor, int patience, int cooldown, double minLr) {
        public Config {
            if (monitor == null) throw new IllegalArgumentException("ReduceLROnPlateau needs a monitor, e.g. new Monitor(\"val_loss\", Mode.AUTO, 1e-4), got null");
            if (!(factor > 0 && factor < 1)) {
                throw new IllegalArgumentException("factor must be in (0, 1) so the learning rate goes down, got " + factor + "; e.g. 0.1 or 0.5");
            }
            if (patience < 0) throw new IllegalArgumentException("patience must be >= 0 epochs, got " + patience);
            if (cooldown < 0) throw new IllegalArgumentException("cooldown must be >= 0 epochs, got " + cooldown);
            if (!(minLr >= 0 && minLr < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("minLr must be a finite number >= 0, got " + minLr);
        }

        /** Keras's defaults: {@code val_loss}, AUTO, minDelta 1e-4, factor 0.1, patience 10, cooldown 0, minLr 0. */
        public static Config defaults() {
            return new Config(new Monitor("val_loss", Monitor.Mode.AUTO, 1e-4), 0.1, 10, 0, 0);
        }

        public Config withMonitor(Monitor v) { return new Config(v, factor, patience, cooldown, minLr); }

        public Config withMonitor(String name) { return withMonitor(monitor.withName(name)); }

        public Config withMode(Monitor.Mode v) { return withMonitor(monitor.withMode(v)); }

        public Config withMinDelta(double v) { return withMonitor(monitor.withMinDelta(v)); }

        public Config withFactor(double v) { return new Config(monitor, v, patience, cooldown, minLr); }

        public Config withPatience(int v) { return new Config(monitor, factor, v, cooldown, minLr); }

        public Config withCooldown(int v) { return new Config(monitor, factor, patience, v, minLr); }

        public Config withMinLr(double v) { return new Config(monitor, factor, patience, cooldown, v); }
    }

    /** One reduction: after 0-based {@code epoch} the rate went from {@code oldLr} to {@code newLr}. */
    public record Reduction(int epoch, double oldLr, double newLr) {}

    private final Config config;
    private double best;
    private int wait;
    private int cooldownLeft;
    private final List<Reduction> reductions = new ArrayList<>();

    public ReduceLROnPlateau(Config config) {
        if (config == null) throw new IllegalArgumentException("config must not be null; use ReduceLROnPlateau.Config.defaults()");
        this.config = config;
        this.best = config.monitor().worst();
    }

    /** Keras's argument list. */
    public ReduceLROnPlateau(String monitor, double factor, int patience, double minDelta, int cooldown, double minLr, Monitor.Mode mode) {
        this(new Config(new Monitor(monitor, mode, minDelta), factor, patience, cooldown, minLr));
    }

    public Config config() {
        return config;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        best = config.monitor().worst();
        wait = 0;
        cooldownLeft = 0;
        reductions.clear();
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        double current = config.monitor().valueIn(logs, "ReduceLROnPlateau");
        if (cooldownLeft > 0) {
            cooldownLeft--;
            wait = 0;
        }
        if (config.monitor().improves(current, best)) {
            best = current;
            wait = 0;
            return;
        }
        if (cooldownLeft > 0) return;
        wait++;
        if (wait < config.patience()) return;
        Optimizer optimizer = state.optimizer();
        double oldLr = optimizer.learningRate();
        // Keras compares against float32(min_lr): a rate that reached minLr through float rounding counts as there.
        if (!(oldLr > (float) config.minLr())) return;
        double newLr = Math.max(oldLr * config.factor(), config.minLr());
        optimizer.scaleLearningRate(newLr / oldLr);
        reductions.add(new Reduction(epoch, oldLr, optimizer.learningRate()));
        cooldownLeft = config.cooldown();
        wait = 0;
    }

    /** The reductions of the last run, in order. */
    public List<Reduction> reductions() {
        return List.copyOf(reductions);
    }
}
