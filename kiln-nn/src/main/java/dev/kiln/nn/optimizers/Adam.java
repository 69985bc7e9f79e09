package dev.kiln.nn.optimizers;

import dev.kiln.core.kernel.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Adam (Kingma & Ba 2015), and AdamW's decoupled weight decay (Loshchilov & Hutter 2019) when
 * {@code weightDecay > 0}. Bias correction and epsilon as PyTorch: {@code p -= lr·m̂ / (√v̂ + ε)}.
 * Defaults follow Keras: β1 0.9, β2 0.999, ε 1e-7.
 */
public final class Adam extends Optimizer {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Vectors per thread below which splitting the update costs more than it saves (sqrt and div dominate). */
    private static final int PARALLEL_VECTORS = 1024;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final Pass pass = new Pass();

    public Adam(double learningRate) {
        this(LearningRateSchedule.constant(learningRate), 0.9, 0.999, 1e-7, 0);
    }

    public Adam(LearningRateSchedule schedule, double beta1, double beta2, double epsilon, double weightDecay) {
        super(schedule);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("Adam needs 0 <= beta1, beta2 < 1, epsilon > 0, weightDecay >= 0; got "
                    + beta1 + ", " + beta2 + ", " + epsilon + ", " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
    }

    /** AdamW with Keras's default decay of 0.004 unless given. */
    public static Adam adamW(double learningRate, double weightDecay) {
        return new Adam(LearningRateSchedule.constant(learningRate), 0.9, 0.999, 1e-7, weightDecay);
    }

    @Override
    public String name() {
        return weightDecay > 0 ? "adamw" : "adam";
    }

    @Override
    protected int stateSlots() {
        return 2;
    }

    @Override
    protected void update(float[] p, float[] g, float[][] s, double lr, long t) {
        float[] m = s[0], v = s[1];
        float b1 = (float) beta1, b2 = (float) beta2;
        double c1 = 1 - Math.pow(beta1, t), c2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (lr / c1);
        float invSqrtC2 = (float) (1 / Math.sqrt(c2));   // √v̂ = √v · (1/√c2): one multiply, not a second division per element
        float eps = (float) epsilon;
        float decay = (float) (1 - lr * weightDecay);
        boolean decoupled = weightDecay > 0;
        // One vectorised pass over the parameter, split across the kernel pool when it is large; the same float
        // operations in the same order as the scalar tail, so results are bit-identical to the plain loop whatever
        // the vector width or the split.
        float ob1 = 1 - b1, ob2 = 1 - b2;
        int vl = S.length();
        pass.set(p, g, m, v, b1, b2, ob1, ob2, stepSize, invSqrtC2, eps, decay, decoupled);   // arrays the optimiser keeps anyway
        Parallel.forRange(p.length / vl, PARALLEL_VECTORS, pass);
        for (int i = p.length / vl * vl; i < p.length; i++) {
            float gi = g[i];
            m[i] = b1 * m[i] + ob1 * gi;
            v[i] = b2 * v[i] + ob2 * gi * gi;
            float w = decoupled ? p[i] * decay : p[i];
            p[i] = w - stepSize * m[i] / ((float) Math.sqrt(v[i]) * invSqrtC2 + eps);
        }
    }

    /**
     * The vectorised pass over chunks of vectors [v0, v1), made once per optimiser and refilled for each parameter:
     * a lambda capturing these thirteen values would be about a hundred bytes of garbage per parameter per step.
     * Used by one {@link #update} at a time (an optimiser is not thread-safe); the pool's workers see its fields
     * because submitting their chunks publishes them.
     */
    private static final class Pass implements Parallel.RangeBody {
        private float[] p, g, m, v;
        private float b1, b2, ob1, ob2, stepSize, invSqrtC2, eps, decay;
        private boolean decoupled;

        void set(float[] p, float[] g, float[] m, float[] v, float b1, float b2, float ob1, float ob2, float stepSize,
                 float invSqrtC2, float eps, float decay, boolean decoupled) {
            this.p = p; this.g = g; this.m = m; this.v = v;
            this.b1 = b1; this.b2 = b2; this.ob1 = ob1; this.ob2 = ob2;
            this.stepSize = stepSize; this.invSqrtC2 = invSqrtC2; this.eps = eps; this.decay = decay;
            this.decoupled = decoupled;
        }

        @Override
        public void run(int v0, int v1) {
            float[] p = this.p, g = this.g, m = this.m, v = this.v;
            float b1 = this.b1, b2 = this.b2, ob1 = this.ob1, ob2 = this.ob2;
            float stepSize = this.stepSize, invSqrtC2 = this.invSqrtC2, eps = this.eps, decay = this.decay;
            boolean decoupled = this.decoupled;
            int vl = S.length();
            for (int i = v0 * vl, end = v1 * vl; i < end; i += vl) {
                FloatVector gi = FloatVector.fromArray(S, g, i);
                FloatVector mi = FloatVector.fromArray(S, m, i).mul(b1).add(gi.mul(ob1));
                FloatVector vi = FloatVector.fromArray(S, v, i).mul(b2).add(gi.mul(ob2).mul(gi));
                mi.intoArray(m, i);
                vi.intoArray(v, i);
                FloatVector w = FloatVector.fromArray(S, p, i);
                if (decoupled) w = w.mul(decay);
                w.sub(mi.mul(stepSize).div(vi.sqrt().mul(invSqrtC2).add(eps))).intoArray(p, i);
            }
        }
    }
}
