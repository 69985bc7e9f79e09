package dev.kiln.nn.callbacks;

import java.util.Map;

/**
 * Hooks into the training loop. Every method has an empty default, so a callback implements only what it
 * needs; extension is by callbacks, never by subclassing the loop. {@code logs} maps metric names
 * ({@code loss}, {@code accuracy}, {@code val_loss}, {@code val_accuracy}, {@code lr}) to values; it is
 * read-only for callbacks.
 *
 * <p>Callbacks run on the training thread, in the order given to {@code fit}.
 */
public interface Callback {
    default void onTrainBegin(TrainingState state) {}

    default void onEpochBegin(int epoch, TrainingState state) {}

    /**
     * After each optimiser step; {@code logs} holds running means over the epoch so far. It is one read-only map whose
     * values the loop overwrites every step (no garbage per step; a value is boxed only when read), so it is valid
     * during this call only: copy it ({@code new LinkedHashMap<>(logs)}) to keep it.
     */
    default void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {}

    /** After validation at the end of an epoch (epochs count from 0). */
    default void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {}

    default void onTrainEnd(TrainingState state) {}
}
