package dev.kiln.nn.callbacks;

import dev.kiln.nn.Model;
import dev.kiln.nn.optimizers.Optimizer;

/**
 * What callbacks may see and steer during {@code fit}: the model, its optimiser, the planned size of the
 * run, and a way to stop it. One instance per {@code fit} call.
 */
public final class TrainingState {
    private final Model model;
    private final Optimizer optimizer;
    private final int epochs;
    private final int stepsPerEpoch;
    private final int samples;
    private String stopReason;
    private boolean failed;

    public TrainingState(Model model, Optimizer optimizer, int epochs, int stepsPerEpoch, int samples) {
        this.model = model;
        this.optimizer = optimizer;
        this.epochs = epochs;
        this.stepsPerEpoch = stepsPerEpoch;
        this.samples = samples;
    }

    public Model model() {
        return model;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public int epochs() {
        return epochs;
    }

    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** Training samples per epoch. */
    public int samples() {
        return samples;
    }

    /** Asks the loop to stop after the current batch (as a normal early stop). */
    public void requestStop(String reason) {
        if (stopReason == null) stopReason = reason;
    }

    /** Asks the loop to stop because training failed (e.g. the loss became NaN); {@code fit} then throws. */
    public void fail(String reason) {
        requestStop(reason);
        failed = true;
    }

    public boolean stopRequested() {
        return stopReason != null;
    }

    public boolean failed() {
        return failed;
    }

    public String stopReason() {
        return stopReason;
    }
}
