package dev.kiln.nn.callbacks;

import java.util.Map;

/**
 * Stops training as soon as the running loss is NaN or infinite, naming the batch where it appeared.
 * {@code fit} always makes this check itself (through {@link #check}, without boxing the loss): a diverged run is never
 * worth continuing.
 */
public final class TerminateOnNaN implements Callback {
    @Override
    public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
        Double loss = logs.get("loss");
        if (loss != null) check(batch, loss, state);
    }

    /** Fails the run when {@code loss}, the running loss after batch {@code batch} (from 0), is NaN or infinite. */
    public static void check(int batch, double loss, TrainingState state) {
        if (!Double.isFinite(loss)) {
            state.fail("loss became " + loss + " at batch " + (batch + 1)
                    + "; lower the learning rate, check the inputs for NaN/Inf, or clip gradients (optimizer.clipGlobalNorm)");
        }
    }
}
