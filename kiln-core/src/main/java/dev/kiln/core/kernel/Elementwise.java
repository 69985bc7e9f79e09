package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fast float32 element-wise kernels (Vector API, species chosen by the JIT for this CPU). Inner loops are
 * contiguous; a broadcast operand (stride 0) is read once. Twin: {@link ScalarKernels}.
 */
public final class Elementwise {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * From this many elements an op is split across {@link Parallel}'s threads (as PyTorch does above its grain of
     * 32K): a 16M-float add is bound by one core's memory bandwidth, and a split below ~100K elements costs more than
     * it saves. Every element is computed the same way whatever the split (the scalar tail and the vector lanes give
     * the same bits), so results do not depend on it. Smaller ops stay on the caller's thread, allocation-free.
     */
    static final int PARALLEL_ELEMENTS = 1 << 17;

    private Elementwise() {}

    /**
     * One split op as a reusable body (one per calling thread) rather than a lambda capturing its arrays and offsets,
     * which was a fresh object on every large op of a training step. Its arrays are dropped after each run, so an
     * idle thread keeps no model's storage alive. The workers only read it while the caller waits in forRange.
     */
    private static final class Split implements Parallel.RangeBody {
        UnaryKind unary;
        BinaryKind binary;   // with unary null: binary, or y += x when binary is null too
        float[] a, b, out;
        int ao, sa, bo, sb, oo;

        void unary(UnaryKind k, float[] x, int xo, float[] y, int yo) {
            unary = k;
            a = x; ao = xo; out = y; oo = yo;
        }

        void binary(BinaryKind k, float[] a, int ao, int sa, float[] b, int bo, int sb, float[] out, int oo) {
            unary = null;
            binary = k;
            this.a = a; this.ao = ao; this.sa = sa; this.b = b; this.bo = bo; this.sb = sb; this.out = out; this.oo = oo;
        }

        void forRange(int n) {
            try {
                Parallel.forRange(n, PARALLEL_ELEMENTS / 2, this);
            } finally {
                a = b = out = null;
                unary = null;
                binary = null;
            }
        }

        @Override
        public void run(int from, int to) {
            if (unary != null) unarySerial(unary, a, ao + from, out, oo + from, to - from);
            else if (binary != null) binarySerial(binary, a, ao + from * sa, sa, b, bo + from * sb, sb, out, oo + from, to - from);
            else addInPlaceSerial(out, oo + from, a, ao + from, to - from);
        }
    }

    private static final ThreadLocal<Split> SPLIT = ThreadLocal.withInitial(Split::new);

    /** y = k(x) over n contiguous elements. */
    public static void unary(UnaryKind k, float[] x, int xo, float[] y, int yo, int n) {
        if (n >= PARALLEL_ELEMENTS && Parallel.THREADS > 1) {
            Split split = SPLIT.get();
            split.unary(k, x, xo, y, yo);
            split.forRange(n);
        } else {
            unarySerial(k, x, xo, y, yo, n);
        }
    }

    private static void unarySerial(UnaryKind k, float[] x, int xo, float[] y, int yo, int n) {
        if (n < SCALAR_BELOW) {
            unarySmall(k, x, xo, y, yo, n);
            return;
        }
        // exp, sigmoid and tanh through FastMath's polynomials: vectorised (~12x the scalar Math.exp loop on
        // bench/kernels) and bit-identical in the interpreter and in C2, within 2 ulp of the correctly rounded value.
        switch (k) {
            case EXP -> { FastMath.exp(x, xo, y, yo, n); return; }
            case SIGMOID -> { FastMath.sigmoid(x, xo, y, yo, n); return; }
            case TANH -> { FastMath.tanh(x, xo, y, yo, n); return; }
            default -> { }
        }
        int i = 0;
        int upper = S.loopBound(n);
        switch (k) {
            case RELU -> {
                for (; i < upper; i += S.length()) FloatVector.fromArray(S, x, xo + i).max(0f).intoArray(y, yo + i);
            }
            case NEG -> {
                for (; i < upper; i += S.length()) FloatVector.fromArray(S, x, xo + i).neg().intoArray(y, yo + i);
            }
            case ABS -> {
                for (; i < upper; i += S.length()) FloatVector.fromArray(S, x, xo + i).abs().intoArray(y, yo + i);
            }
            case SQRT -> {
                for (; i < upper; i += S.length()) FloatVector.fromArray(S, x, xo + i).sqrt().intoArray(y, yo + i);
            }
            case STEP -> {
                for (; i < upper; i += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    FloatVector.zero(S).blend(1f, v.compare(VectorOperators.GT, 0f)).intoArray(y, yo + i);
                }
            }
            // SIGN and LOG: scalar loop below. Not the Vector API's own LOG: its compiled form (SVML) differs in the
            // last bit from its interpreted fallback in ~1% of lanes, so results depended on when C2 compiled the
            // loop and one seed gave different training runs; Math.log uses the same stub in both.
            default -> { }
        }
        for (; i < n; i++) y[yo + i] = (float) k.apply(x[xo + i]);
    }

    /**
     * {@link #unarySerial} below {@link #SCALAR_BELOW} elements without vectors, as binarySerial does, with the same bits:
     * FastMath's scalar exp, sigmoid and tanh are what a vector lane computes, and the other kinds are exact or correctly
     * rounded either way. An op run once a step on a small tensor (the exp of a binary cross-entropy from logits on
     * (B, 1)) otherwise boxes every vector in C1 code for the thousands of steps it takes to reach C2 (~40 KB a step).
     */
    private static void unarySmall(UnaryKind k, float[] x, int xo, float[] y, int yo, int n) {
        switch (k) {
            case EXP -> { for (int i = 0; i < n; i++) y[yo + i] = FastMath.exp(x[xo + i]); }
            case SIGMOID -> { for (int i = 0; i < n; i++) y[yo + i] = FastMath.sigmoid(x[xo + i]); }
            case TANH -> { for (int i = 0; i < n; i++) y[yo + i] = FastMath.tanh(x[xo + i]); }
            default -> { for (int i = 0; i < n; i++) y[yo + i] = (float) k.apply(x[xo + i]); }
        }
    }

    /** out = a (op) b over n elements; {@code sa}/{@code sb} are 1 (contiguous) or 0 (broadcast scalar). */
    public static void binary(BinaryKind k, float[] a, int ao, int sa, float[] b, int bo, int sb, float[] out, int oo, int n) {
        if (n >= PARALLEL_ELEMENTS && Parallel.THREADS > 1) {
            Split split = SPLIT.get();
            split.binary(k, a, ao, sa, b, bo, sb, out, oo);
            split.forRange(n);
        } else {
            binarySerial(k, a, ao, sa, b, bo, sb, out, oo, n);
        }
    }

    private static void binarySerial(BinaryKind k, float[] a, int ao, int sa, float[] b, int bo, int sb, float[] out, int oo, int n) {
        if (k == BinaryKind.POW || k == BinaryKind.EQ || k == BinaryKind.GT) {
            for (int i = 0; i < n; i++) out[oo + i] = (float) k.apply(a[ao + i * sa], b[bo + i * sb]);
            return;
        }
        int i = 0;
        // Below SCALAR_BELOW elements the scalar loop alone: the same bits (one IEEE operation, exact in double, then
        // rounded), and no vectors for C1 to box while the per-operator loops wait for C2, which for an op a step runs
        // once on a small tensor (a loss on (B, 1)) takes thousands of steps (~40 KB a step of boxes meanwhile).
        int upper = n < SCALAR_BELOW ? 0 : S.loopBound(n);
        if (upper > 0 && (sa == 1 || sb == 1)) {
            Loops loops = switch (k) {
                case ADD -> ADD;
                case SUB -> SUB;
                case MUL -> MUL;
                case DIV -> DIV;
                case MAX -> MAX;
                case MIN -> MIN;
                default -> throw new AssertionError(k);
            };
            loops.run(a, ao, sa, b, bo, sb, out, oo, upper);   // one call site for six receivers: see Loops
            i = upper;
        }
        for (; i < n; i++) out[oo + i] = (float) k.apply(a[ao + i * sa], b[bo + i * sb]);
    }

    /** The size below which an element-wise op runs scalar (see binarySerial and unarySmall). */
    static final int SCALAR_BELOW = 256;

    /**
     * The vector loops of one operator, one loop per stride case (both operands contiguous, or one a single value),
     * each with its operator constant at the call site: the Vector API compiles lanewise(op, ..) to SIMD only then, and
     * a variable operator falls back to boxed per-lane Java code (it once showed up at 8% of a training step).
     *
     * <p>A subclass per operator, reached through one virtual call: a JVM that has run every operator sees six receivers
     * there and compiles each subclass on its own. All eighteen loops in one method overran C2's inlining node budget
     * (NodeCountInliningCutoff) in such a JVM (the test suite's), and the loops it parsed last boxed every vector: a small
     * LSTM's loss allocated 40 bytes a step there and nothing in a JVM that had run fewer operators.
     */
    private abstract static class Loops {
        /** out[oo + i] = a (op) b for i in [0, upper), upper a whole number of vectors; sa, sb in {0, 1}, not both 0. */
        abstract void run(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] out, int oo, int upper);
    }

    private static final Loops ADD = new Loops() {
        @Override
        void run(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] out, int oo, int upper) {
            int vl = S.length();
            if (sa == 1 && sb == 1) {
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            } else if (sa == 1) {
                FloatVector bv = FloatVector.broadcast(S, b[bo]);
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).add(bv).intoArray(out, oo + i);
            } else {
                FloatVector av = FloatVector.broadcast(S, a[ao]);
                for (int i = 0; i < upper; i += vl) av.add(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
        }
    };

    private static final Loops SUB = new Loops() {
        @Override
        void run(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] out, int oo, int upper) {
            int vl = S.length();
            if (sa == 1 && sb == 1) {
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            } else if (sa == 1) {
                FloatVector bv = FloatVector.broadcast(S, b[bo]);
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).sub(bv).intoArray(out, oo + i);
            } else {
                FloatVector av = FloatVector.broadcast(S, a[ao]);
                for (int i = 0; i < upper; i += vl) av.sub(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
        }
    };

    private static final Loops MUL = new Loops() {
        @Override
        void run(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] out, int oo, int upper) {
            int vl = S.length();
            if (sa == 1 && sb == 1) {
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            } else if (sa == 1) {
                FloatVector bv = FloatVector.broadcast(S, b[bo]);
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).mul(bv).intoArray(out, oo + i);
            } else {
                FloatVector av = FloatVector.broadcast(S, a[ao]);
                for (int i = 0; i < upper; i += vl) av.mul(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
        }
    };

    private static final Loops DIV = new Loops() {
        @Override
        void run(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] out, int oo, int upper) {
            int vl = S.length();
            if (sa == 1 && sb == 1) {
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).div(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            } else if (sa == 1) {
                FloatVector bv = FloatVector.broadcast(S, b[bo]);
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).div(bv).intoArray(out, oo + i);
            } else {
                FloatVector av = FloatVector.broadcast(S, a[ao]);
                for (int i = 0; i < upper; i += vl) av.div(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
        }
    };

    private static final Loops MAX = new Loops() {
        @Override
        void run(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] out, int oo, int upper) {
            int vl = S.length();
            if (sa == 1 && sb == 1) {
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).max(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            } else if (sa == 1) {
                FloatVector bv = FloatVector.broadcast(S, b[bo]);
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).max(bv).intoArray(out, oo + i);
            } else {
                FloatVector av = FloatVector.broadcast(S, a[ao]);
                for (int i = 0; i < upper; i += vl) av.max(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
        }
    };

    private static final Loops MIN = new Loops() {
        @Override
        void run(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] out, int oo, int upper) {
            int vl = S.length();
            if (sa == 1 && sb == 1) {
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).min(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            } else if (sa == 1) {
                FloatVector bv = FloatVector.broadcast(S, b[bo]);
                for (int i = 0; i < upper; i += vl) FloatVector.fromArray(S, a, ao + i).min(bv).intoArray(out, oo + i);
            } else {
                FloatVector av = FloatVector.broadcast(S, a[ao]);
                for (int i = 0; i < upper; i += vl) av.min(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
        }
    };

    /** y += x over n contiguous elements. */
    public static void addInPlace(float[] y, int yo, float[] x, int xo, int n) {
        if (n >= PARALLEL_ELEMENTS && Parallel.THREADS > 1) {
            Split split = SPLIT.get();
            split.binary(null, x, xo, 1, null, 0, 0, y, yo);   // null kind: y += x
            split.forRange(n);
        } else {
            addInPlaceSerial(y, yo, x, xo, n);
        }
    }

    /**
     * y += x over n contiguous elements, on this thread, in vectors from one vector's length up: for a kernel's
     * inner loop that calls it many times a step on short runs (col2im adds a 3×32-float window row per call), which
     * is compiled within the first step, so {@link #SCALAR_BELOW}'s guard against boxing would only cost it.
     */
    static void addInPlaceRun(float[] y, int yo, float[] x, int xo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            FloatVector.fromArray(S, y, yo + i).add(FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += x[xo + i];
    }

    private static void addInPlaceSerial(float[] y, int yo, float[] x, int xo, int n) {
        if (n >= SCALAR_BELOW) {
            addInPlaceRun(y, yo, x, xo, n);
            return;
        }
        for (int i = 0; i < n; i++) y[yo + i] += x[xo + i];   // see binarySerial: a gradient summed into a (B, 1) one a step
    }

    /** Sum of n contiguous elements (float lanes, summed pairwise across lanes). */
    public static float sum(float[] x, int xo, int n) {
        if (n < SCALAR_BELOW) return sumSmall(x, xo, n);
        int i = 0;
        int upper = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (; i < upper; i += S.length()) acc = acc.add(FloatVector.fromArray(S, x, xo + i));
        float[] lanes = LANES.get();
        acc.intoArray(lanes, 0);
        float s = addLanes(lanes);
        for (; i < n; i++) s += x[xo + i];
        return s;
    }

    /** Max of n contiguous elements (NaN if any is NaN). */
    public static float max(float[] x, int xo, int n) {
        float m = Float.NEGATIVE_INFINITY;
        int i = 0;
        int upper = n < SCALAR_BELOW ? 0 : S.loopBound(n);   // see binarySerial; a max is the same in any order
        if (upper > 0) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < upper; i += S.length()) acc = acc.max(FloatVector.fromArray(S, x, xo + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    /** out = max(out, x) element-wise over n contiguous elements. */
    public static void maxInPlace(float[] out, int oo, float[] x, int xo, int n) {
        int i = 0;
        int upper = n < SCALAR_BELOW ? 0 : S.loopBound(n);   // see binarySerial
        for (; i < upper; i += S.length()) {
            FloatVector.fromArray(S, out, oo + i).max(FloatVector.fromArray(S, x, xo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) out[oo + i] = Math.max(out[oo + i], x[xo + i]);
    }

    /**
     * The calling thread's array of one vector's lanes, for {@link #addLanes}: a caller spills its accumulator with
     * {@code acc.intoArray(lanes(), 0)} itself. No kernel passes a vector to a method of its own: where C2 had compiled
     * such a method on its own first it could refuse to inline it ("already compiled into a big method") and box the
     * vector on every call for the rest of the run (FastMath's exp helpers did; see its class comment).
     */
    static float[] lanes() {
        return LANES.get();
    }

    /**
     * Adds spilled lanes in a fixed order (lane 0 first). {@code reduceLanes(ADD)} leaves the order unspecified, and
     * the interpreter and the JIT really do differ, which would make two runs with one seed disagree in the last bit;
     * {@code lane(i)} with a variable i is no intrinsic either, which boxed the vector where C2 did not unroll the loop.
     */
    static float addLanes(float[] lanes) {
        float s = 0;
        for (int i = 0; i < lanes.length; i++) s += lanes[i];
        return s;
    }

    /**
     * {@link #sum} below {@link #SCALAR_BELOW} elements without vectors (nothing for C1 to box while it waits for C2) and
     * with the same bits: each lane's running sum kept in an array, added in lane order, then the tail, as the vector loop.
     */
    private static float sumSmall(float[] x, int xo, int n) {
        float[] lanes = LANES.get();
        java.util.Arrays.fill(lanes, 0f);
        int vl = lanes.length, upper = n - n % vl, i = 0;
        for (; i < upper; i += vl) for (int l = 0; l < vl; l++) lanes[l] += x[xo + i + l];
        float s = addLanes(lanes);
        for (; i < n; i++) s += x[xo + i];
        return s;
    }

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[S.length()]);
}
