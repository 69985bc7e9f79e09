package dev.kiln.nn.optimizers;

/**
 * Stochastic gradient descent with optional (Nesterov) momentum, in PyTorch's form
 * {@code v = μ·v + g; p -= lr·v} (Nesterov: {@code p -= lr·(g + μ·v)}), which equals Keras's for a
 * constant learning rate. Sutskever et al. 2013.
 */
public final class Sgd extends Optimizer {
    private final double momentum;
    private final boolean nesterov;

    public Sgd(double learningRate) {
        this(LearningRateSchedule.constant(learningRate), 0, false);
    }

    public Sgd(double learningRate, double momentum, boolean nesterov) {
        this(LearningRateSchedule.constant(learningRate), momentum, nesterov);
    }

    public Sgd(LearningRateSchedule schedule, double momentum, boolean nesterov) {
        super(schedule);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("SGD momentum must be in [0, 1), got " + momentum);
        if (nesterov && momentum == 0) throw new IllegalArgumentException("Nesterov SGD needs momentum > 0");
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    @Override
    public String name() {
        return "sgd";
    }

    @Override
    protected int stateSlots() {
        return momentum > 0 ? 1 : 0;
    }

    @Override
    protected void update(float[] p, float[] g, float[][] s, double lr, long t) {
        float rate = (float) lr;
        if (momentum == 0) {
            for (int i = 0; i < p.length; i++) p[i] -= rate * g[i];
            return;
        }
        float mu = (float) momentum;
        float[] v = s[0];
        for (int i = 0; i < p.length; i++) {
            v[i] = t == 1 ? g[i] : mu * v[i] + g[i];
            p[i] -= rate * (nesterov ? g[i] + mu * v[i] : v[i]);
        }
    }
}
