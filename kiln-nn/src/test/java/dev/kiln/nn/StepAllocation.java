package dev.kiln.nn;

import dev.kiln.data.Dataset;
import dev.kiln.nn.callbacks.Callback;
import dev.kiln.nn.callbacks.TrainingState;
import java.lang.management.ManagementFactory;
import java.util.Map;

/**
 * What a warmed-up training step allocates, for the allocation tests: the training thread's allocation counter (a count
 * of bytes, not a timing) over steps {@link #FROM} to {@link #TO} of an epoch, so that what an epoch's end allocates
 * (its logs, the history, the next pass's iterator) is not counted as a step's.
 */
final class StepAllocation {
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /** The steps of an epoch measured; the data must give more than {@link #TO} batches an epoch. */
    static final int FROM = 10, TO = 40;

    private StepAllocation() {}

    /**
     * Bytes per step, the least over {@code windows} epochs after {@code warmupEpochs}, with {@code kiln.stepArena} set
     * to {@code arenaMode} for the fit. The least, because until C2 has compiled the Vector API kernels their vectors
     * are boxed objects: on a loaded 2-core machine that can take longer than any fixed warm-up, while once compiled
     * every window is alike. A window of zero bytes ends the fit early (the least cannot go lower).
     */
    static double bytesPerStep(Model model, Dataset data, int batch, String arenaMode, int warmupEpochs, int windows) {
        return bytesPerStep(model, data, new FitOptions(1000, batch).withSeed(1).withVerbose(false), arenaMode, warmupEpochs, windows);
    }

    /** {@link #bytesPerStep(Model, Dataset, int, String, int, int)} with the fit's options (enough epochs for the windows). */
    static double bytesPerStep(Model model, Dataset data, FitOptions options, String arenaMode, int warmupEpochs, int windows) {
        double[] least = {Double.POSITIVE_INFINITY};
        Callback meter = new Callback() {
            int epochs, measured;
            long start;

            @Override
            public void onEpochBegin(int epoch, TrainingState state) {
                epochs++;
            }

            @Override
            public void onBatchEnd(int batchIndex, Map<String, Double> logs, TrainingState state) {
                if (epochs <= warmupEpochs) return;
                if (batchIndex == FROM) start = THREADS.getCurrentThreadAllocatedBytes();
                if (batchIndex != TO) return;
                least[0] = Math.min(least[0], (double) (THREADS.getCurrentThreadAllocatedBytes() - start) / (TO - FROM));
                if (++measured == windows || least[0] == 0) state.requestStop("measured");
            }
        };
        String before = System.getProperty("kiln.stepArena");
        System.setProperty("kiln.stepArena", arenaMode);
        try {
            model.fit(data, options, meter);
        } finally {
            if (before == null) System.clearProperty("kiln.stepArena");
            else System.setProperty("kiln.stepArena", before);
        }
        return least[0];
    }
}
