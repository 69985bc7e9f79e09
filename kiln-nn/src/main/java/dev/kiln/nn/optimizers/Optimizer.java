package dev.kiln.nn.optimizers;

import dev.kiln.core.Tensor;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Updates parameters from their gradients. Subclasses hold only their update rule ({@link #update});
 * the schedule, the plateau factor, global-norm clipping and per-parameter state live here. Optimiser
 * logic never lives in layers.
 *
 * <p>Not thread-safe: one optimiser belongs to one training loop.
 */
public abstract class Optimizer {
    private final LearningRateSchedule schedule;
    private double factor = 1.0;
    private double clipGlobalNorm;
    private long iterations;
    private final Map<Tensor, float[][]> state = new IdentityHashMap<>();

    protected Optimizer(LearningRateSchedule schedule) {
        this.schedule = schedule;
    }

    /** Keras name ({@code adam}), recorded in run metadata. */
    public abstract String name();

    /** Number of state arrays (same size as the parameter) this rule keeps per parameter. */
    protected abstract int stateSlots();

    /**
     * Applies one update to {@code p} in place given its gradient {@code g}, the state arrays, the
     * learning rate and the 1-based step number {@code t}.
     */
    protected abstract void update(float[] p, float[] g, float[][] s, double lr, long t);

    /** Clip gradients so their global L2 norm is at most {@code maxNorm} before each step (0 = off). */
    public Optimizer clipGlobalNorm(double maxNorm) {
        if (!(maxNorm >= 0)) throw new IllegalArgumentException("clip norm must be >= 0, got " + maxNorm);
        this.clipGlobalNorm = maxNorm;
        return this;
    }

    /** The learning rate the next step will use. */
    public double learningRate() {
        return schedule.at(iterations) * factor;
    }

    /** Scales the schedule (ReduceLROnPlateau uses it). */
    public void scaleLearningRate(double by) {
        if (!(by > 0)) throw new IllegalArgumentException("learning-rate factor must be > 0, got " + by);
        factor *= by;
    }

    public long iterations() {
        return iterations;
    }

    /**
     * One optimisation step over every parameter that has a gradient. Returns the pre-clipping global gradient
     * norm when clipping is on, NaN otherwise: the norm is a pass over every gradient that an unclipped step does
     * not need (call {@link #globalNorm} for it).
     */
    public double step(List<Tensor> parameters) {
        double norm = clipGlobalNorm > 0 ? globalNorm(parameters) : Double.NaN;
        if (clipGlobalNorm > 0 && norm > clipGlobalNorm) {
            float scale = (float) (clipGlobalNorm / (norm + 1e-6));
            for (int k = 0, n = parameters.size(); k < n; k++) {   // indexed: no iterator per training step
                Tensor p = parameters.get(k);
                if (p.grad() == null) continue;
                float[] g = p.grad().rawFloats();
                for (int i = 0; i < g.length; i++) g[i] *= scale;
            }
        }
        double lr = learningRate();
        iterations++;
        for (int i = 0, n = parameters.size(); i < n; i++) {   // indexed: no iterator per training step
            Tensor p = parameters.get(i);
            if (p.grad() == null) continue;
            float[] w = p.rawFloats();
            float[][] s = state.get(p);   // not computeIfAbsent: its capturing lambda would be garbage every step
            if (s == null) state.put(p, s = new float[stateSlots()][w.length]);
            update(w, p.grad().rawFloats(), s, lr, iterations);
        }
        return norm;
    }

    /** L2 norm of all gradients together. */
    public static double globalNorm(List<Tensor> parameters) {
        double sum = 0;
        for (int k = 0, n = parameters.size(); k < n; k++) {   // indexed: no iterator per training step
            Tensor p = parameters.get(k);
            if (p.grad() == null) continue;
            sum += sumOfSquares(p.grad().rawFloats());
        }
        return Math.sqrt(sum);
    }

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    /** Floats summed in float lanes before the lanes go into the double total: 64 squares a lane. */
    private static final int BLOCK = 64 * FS.length();
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[FS.length()]);

    /**
     * Σ x² in double: squares summed in float lanes over blocks of {@link #BLOCK} (64 terms a lane, a relative error of
     * at most ~4e-6 of the block's sum), each block's lanes then added to a double in lane order, so the result is the
     * same in the interpreter and in C2. Float lanes only: widening to DoubleVector (a second vector species, and an
     * F2D shape change C2 does not intrinsify) boxed every vector, tens of MB a step with gradient clipping on.
     */
    static double sumOfSquares(float[] x) {
        float[] lanes = LANES.get();
        double sum = 0;
        int i = 0;
        int upper = FS.loopBound(x.length);
        while (i < upper) {
            int end = Math.min(upper, i + BLOCK);
            FloatVector acc = FloatVector.zero(FS);
            for (; i < end; i += FS.length()) {
                FloatVector v = FloatVector.fromArray(FS, x, i);
                acc = v.fma(v, acc);
            }
            acc.intoArray(lanes, 0);
            for (float l : lanes) sum += l;
        }
        for (; i < x.length; i++) sum += (double) x[i] * x[i];
        return sum;
    }
}
