package dev.kiln.nn.optimizers;

/**
 * RMSprop (Hinton, Coursera lecture 6e): {@code s = ρ·s + (1-ρ)·g²; p -= lr·g / (√s + ε)}; Keras defaults ρ 0.9,
 * ε 1e-7.
 */
public final class RmsProp extends Optimizer {
    private final double rho;
    private final double epsilon;

    public RmsProp(double learningRate) {
        this(LearningRateSchedule.constant(learningRate), 0.9, 1e-7);
    }

    public RmsProp(LearningRateSchedule schedule, double rho, double epsilon) {
        super(schedule);
        if (!(rho >= 0 && rho < 1) || !(epsilon > 0)) throw new IllegalArgumentException("RMSprop needs 0 <= rho < 1 and epsilon > 0; got " + rho + ", " + epsilon);
        this.rho = rho;
        this.epsilon = epsilon;
    }

    @Override
    public String name() {
        return "rmsprop";
    }

    @Override
    protected int stateSlots() {
        return 1;
    }

    @Override
    protected void update(float[] p, float[] g, float[][] s, double lr, long t) {
        float[] sq = s[0];
        float r = (float) rho, rate = (float) lr, eps = (float) epsilon;
        for (int i = 0; i < p.length; i++) {
            sq[i] = r * sq[i] + (1 - r) * g[i] * g[i];
            p[i] -= rate * g[i] / ((float) Math.sqrt(sq[i]) + eps);
        }
    }
}
