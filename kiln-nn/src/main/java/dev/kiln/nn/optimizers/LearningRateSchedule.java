package dev.kiln.nn.optimizers;

/**
 * A learning rate as a pure function of the optimiser step (0-based), so a resumed run reproduces it
 * exactly. Implementations are immutable records.
 */
@FunctionalInterface
public interface LearningRateSchedule {
    double at(long step);

    static LearningRateSchedule constant(double lr) {
        if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        return step -> lr;
    }

    /** Multiplies by {@code gamma} every {@code stepSize} steps (PyTorch StepLR). */
    record StepDecay(double initial, long stepSize, double gamma) implements LearningRateSchedule {
        public StepDecay {
            if (!(initial > 0) || stepSize < 1 || !(gamma > 0)) {
                throw new IllegalArgumentException("StepDecay needs initial > 0, stepSize >= 1, gamma > 0; got " + initial + ", " + stepSize + ", " + gamma);
            }
        }

        public double at(long step) {
            return initial * Math.pow(gamma, step / stepSize);
        }
    }

    /** {@code initial · rate^(step/decaySteps)}, floored to whole periods when {@code staircase} (Keras ExponentialDecay). */
    record ExponentialDecay(double initial, long decaySteps, double rate, boolean staircase) implements LearningRateSchedule {
        public ExponentialDecay {
            if (!(initial > 0) || decaySteps < 1 || !(rate > 0)) {
                throw new IllegalArgumentException("ExponentialDecay needs initial > 0, decaySteps >= 1, rate > 0; got " + initial + ", " + decaySteps + ", " + rate);
            }
        }

        public double at(long step) {
            double p = (double) step / decaySteps;
            return initial * Math.pow(rate, staircase ? Math.floor(p) : p);
        }
    }

    /**
     * Linear warm-up from 0 to {@code peak} over {@code warmupSteps}, then cosine decay to {@code minimum}
     * at {@code totalSteps} (Loshchilov & Hutter 2017, SGDR; warm-up as in Goyal et al. 2017).
     */
    record CosineDecay(double peak, long warmupSteps, long totalSteps, double minimum) implements LearningRateSchedule {
        public CosineDecay {
            if (!(peak > 0) || warmupSteps < 0 || totalSteps <= warmupSteps || minimum < 0 || minimum > peak) {
                throw new IllegalArgumentException("CosineDecay needs peak > 0, 0 <= warmupSteps < totalSteps, 0 <= minimum <= peak; got "
                        + peak + ", " + warmupSteps + ", " + totalSteps + ", " + minimum);
            }
        }

        public double at(long step) {
            if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
            double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
            return minimum + 0.5 * (peak - minimum) * (1 + Math.cos(Math.PI * progress));
        }
    }
}
