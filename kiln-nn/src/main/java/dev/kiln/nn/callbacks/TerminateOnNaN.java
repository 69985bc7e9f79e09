package dev.kiln.nn.callbacks;

import java.util.Map;

/**
 * Stops training as soon as the running loss is NaN or infinite, naming the batch where it appeared.
 * {@code fit} always installs it: a diverged run is never worth continuing.
 */
public final class TerminateOnNaN implements Callback {
    @Override
    public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
        Double loss = logs.get("loss");
        if (loss != null && !Double.isFinite(loss)) {
            state.fail("loss became " + loss + " at batch " + (batch + 1)
                    + "; lower the learning rate, check the inputs for NaN/Inf, or clip gradients (optimizer.clipGlobalNorm)");
        }
    }
}
