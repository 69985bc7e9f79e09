package dev.kiln.core;

import java.util.Arrays;
import java.util.Locale;
import dev.kiln.core.kernel.BinaryKind;
import dev.kiln.core.kernel.UnaryKind;

/**
 * An n-dimensional array of float32 (or float64, for gradient checks) with reverse-mode autodiff.
 *
 * <p>Storage is a plain array shared between views: {@link #reshape}, {@link #transpose}, {@link #permute}
 * and {@link #slice} return views where the layout allows, copying only when it must. Every op that
 * takes a tensor requiring gradients records a {@link Function} so that {@link #backward()} can walk the
 * graph in reverse topological order (define-by-run, as in PyTorch).
 *
 * <p>Thread-safety: a tensor is not safe for concurrent mutation. Read-only use (inference under
 * {@link Grad#noGrad}) of shared parameter tensors from many threads is safe.
 */
public final class Tensor {
    final DType dtype;
    final float[] f;   // FLOAT32 storage, null otherwise
    final double[] d;  // FLOAT64 storage, null otherwise
    final int offset;
    final int[] shape;
    final int[] strides;

    private boolean requiresGrad;
    private Tensor grad;
    private boolean gradZeroPending;   // zeroGrad() was called: grad's values are zero, not yet written (see zeroGrad)
    Function creator;   // the op that produced this tensor, null for leaves and untracked results
    private Function spare;   // a recycled tensor's node from its last step, for its op to refill (see spareNode)
    private String name;
    private Tensor logitsOf;   // x when this is x.softmax(-1) or x.sigmoid(), for losses on probabilities (softmaxLogits)
    private boolean sigmoidOf;  // logitsOf went through a sigmoid, not a softmax
    int lentAt = -1;   // this tensor's place in its StepArena's list of lent tensors, when lent (see releaseEarly)

    Tensor(float[] f, double[] d, int offset, int[] shape, int[] strides) {
        this.dtype = f != null ? DType.FLOAT32 : DType.FLOAT64;
        this.f = f;
        this.d = d;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
    }

    // ---------------------------------------------------------------- factories

    /** Wraps {@code data} (not copied) as a contiguous float32 tensor of the given shape. */
    public static Tensor of(float[] data, int... shape) {
        int n = Shape.size(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Shape.str(shape) + " needs " + n
                    + " elements but the array has " + data.length);
        }
        return new Tensor(data, null, 0, shape.clone(), Shape.stridesOf(shape));
    }

    /** Wraps {@code data} (not copied) as a contiguous float64 tensor of the given shape. */
    public static Tensor of(double[] data, int... shape) {
        int n = Shape.size(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Shape.str(shape) + " needs " + n
                    + " elements but the array has " + data.length);
        }
        return new Tensor(null, data, 0, shape.clone(), Shape.stridesOf(shape));
    }

    /** A float32 scalar (rank 0). */
    public static Tensor scalar(float v) {
        return of(new float[] {v});
    }

    public static Tensor zeros(int... shape) {
        return zeros(DType.FLOAT32, shape);
    }

    public static Tensor zeros(DType dtype, int... shape) {
        int n = Shape.size(shape);
        return dtype == DType.FLOAT32 ? of(new float[n], shape) : of(new double[n], shape);
    }

    /**
     * A zero-filled result for an op (internal): lent by the current {@link StepArena} inside a training step, fresh
     * otherwise. Ops use this, never {@link #zeros}, whose result may be kept (parameters, state). {@code shape} is
     * kept, not cloned: ops pass a varargs array, another tensor's shape or one they built and no longer change, and
     * shape arrays are never mutated once a tensor holds them (views already share them). The one- and two-dimensional
     * overloads take no array at all, so a warmed-up step that asks for a recycled tensor allocates nothing.
     */
    static Tensor fresh(DType dtype, int... shape) {
        return result(dtype, shape.length, 0, 0, shape, true);
    }

    static Tensor fresh(DType dtype, int d0) {
        return result(dtype, 1, d0, 0, null, true);
    }

    static Tensor fresh(DType dtype, int d0, int d1) {
        return result(dtype, 2, d0, d1, null, true);
    }

    /** Like {@link #fresh} but not zero-filled, for kernels that write every element (a GEMM without accumulation). */
    static Tensor uninitialized(DType dtype, int... shape) {
        return result(dtype, shape.length, 0, 0, shape, false);
    }

    /**
     * {@link #uninitialized} for a shape the caller goes on using (a {@link ShapeScratch} array, an argument): copied
     * only when a tensor has to be made, so a warmed-up step passes no shape array of its own.
     */
    static Tensor uninitializedCopying(DType dtype, int[] shape) {
        return dtype == DType.FLOAT32 ? StepArena.tensorOfShape(shape) : result(dtype, shape.length, 0, 0, shape.clone(), false);
    }

    static Tensor uninitialized(DType dtype, int d0) {
        return result(dtype, 1, d0, 0, null, false);
    }

    static Tensor uninitialized(DType dtype, int d0, int d1) {
        return result(dtype, 2, d0, d1, null, false);
    }

    private static Tensor result(DType dtype, int rank, int d0, int d1, int[] dims, boolean zero) {
        if (dtype == DType.FLOAT32) return StepArena.tensor(rank, d0, d1, dims, zero);
        int[] shape = dims != null ? dims : rank == 0 ? new int[0] : rank == 1 ? new int[] {d0} : new int[] {d0, d1};
        return new Tensor(null, new double[Shape.size(shape)], 0, shape, Shape.stridesOf(shape));
    }

    /**
     * The graph node of {@code type} that this result carried in a past step, for its op to refill instead of making
     * a new one (null if none): a {@link StepArena} hands out recycled tensors, and a step replays the same ops in the
     * same order, so the op producing this tensor again usually finds its own node here. Taking it clears it.
     */
    <F extends Function> F spareNode(Class<F> type) {
        Function f = spare;
        if (!type.isInstance(f)) return null;
        spare = null;
        return type.cast(f);
    }

    /** {@link #spareNode(Class)}, or {@code fresh}'s new node when there is none: what nearly every op wants. */
    <F extends Function> F spareNode(Class<F> type, java.util.function.Supplier<F> fresh) {
        F node = spareNode(type);
        return node != null ? node : fresh.get();
    }

    /** Back to a plain untracked result (called by {@link StepArena#reset}); its node is kept for {@link #spareNode}. */
    void release() {
        if (creator != null) spare = creator;
        creator = null;
        requiresGrad = false;
        grad = null;
        gradZeroPending = false;
        name = null;
        logitsOf = null;
    }

    public static Tensor full(float value, int... shape) {
        float[] a = new float[Shape.size(shape)];
        Arrays.fill(a, value);
        return of(a, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** Uniform in [lo, hi) from the given random source. */
    public static Tensor uniform(Rng rng, float lo, float hi, int... shape) {
        float[] a = new float[Shape.size(shape)];
        for (int i = 0; i < a.length; i++) a[i] = (float) rng.uniform(lo, hi);
        return of(a, shape);
    }

    /** Normal with the given mean and standard deviation from the given random source. */
    public static Tensor normal(Rng rng, float mean, float std, int... shape) {
        float[] a = new float[Shape.size(shape)];
        for (int i = 0; i < a.length; i++) a[i] = (float) (mean + std * rng.normal());
        return of(a, shape);
    }

    // ---------------------------------------------------------------- metadata

    public int[] shape() {
        return shape.clone();
    }

    /** Whether this tensor is d0 × d1 (rank 2), without the copy {@link #shape()} makes: shape checks on a step's path. */
    public boolean hasShape(int d0, int d1) {
        return shape.length == 2 && shape[0] == d0 && shape[1] == d1;
    }

    /** Whether {@code other} has this tensor's shape, without copying either shape as {@link #shape()} does. */
    public boolean sameShape(Tensor other) {
        return Shape.equal(shape, other.shape);
    }

    /** Size of one dimension; negative axes count from the end. */
    public int shape(int axis) {
        return shape[Shape.axis(axis, shape.length)];
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return Shape.size(shape);
    }

    public DType dtype() {
        return dtype;
    }

    /** True when elements are laid out row-major without gaps (the storage may still start at an offset). */
    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** An optional name, used in error messages and by models for parameters. */
    public String name() {
        return name;
    }

    public Tensor named(String name) {
        this.name = name;
        return this;
    }

    // ---------------------------------------------------------------- element access (slow, for tests and tools)

    /** Element at a multi-index, widened to double. */
    public double get(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + index.length + " for tensor of shape " + Shape.str(shape));
        }
        int p = offset;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of bounds for shape " + Shape.str(shape));
            }
            p += index[i] * strides[i];
        }
        return f != null ? f[p] : d[p];
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (size() != 1) throw new IllegalStateException("item() needs a one-element tensor, got shape " + Shape.str(shape));
        return (float) (f != null ? f[offset] : d[offset]);
    }

    /** A fresh row-major float copy of the elements. */
    public float[] toFloatArray() {
        Tensor c = contiguous();
        float[] out = new float[c.size()];
        if (c.f != null) System.arraycopy(c.f, c.offset, out, 0, out.length);
        else for (int i = 0; i < out.length; i++) out[i] = (float) c.d[c.offset + i];
        return out;
    }

    /**
     * The elements in row-major order written into {@code dst} (at least {@link #size()} long), which is returned: a
     * reader that keeps its own buffer allocates nothing (for a contiguous float32 tensor).
     */
    public float[] toFloatArray(float[] dst) {
        int n = size();
        if (dst.length < n) throw new IllegalArgumentException("toFloatArray: " + n + " elements do not fit an array of " + dst.length);
        Tensor c = contiguous();
        if (c.f != null) System.arraycopy(c.f, c.offset, dst, 0, n);
        else for (int i = 0; i < n; i++) dst[i] = (float) c.d[c.offset + i];
        return dst;
    }

    /** A fresh row-major double copy of the elements. */
    public double[] toDoubleArray() {
        Tensor c = contiguous();
        double[] out = new double[c.size()];
        if (c.d != null) System.arraycopy(c.d, c.offset, out, 0, out.length);
        else for (int i = 0; i < out.length; i++) out[i] = c.f[c.offset + i];
        return out;
    }

    /** Whether {@link #rawFloats} can hand out this tensor's storage: float32, contiguous, and all of its array. */
    public boolean hasRawFloats() {
        return f != null && offset == 0 && isContiguous() && f.length == size();
    }

    /**
     * The raw float32 storage of a contiguous tensor, for kernels and optimisers that update parameters in
     * place. Writing to it bypasses autodiff: never touch a tensor the graph still needs.
     */
    public float[] rawFloats() {
        if (!hasRawFloats()) {
            throw new IllegalStateException("rawFloats() needs a float32 tensor that owns its whole storage; call contiguous().copy() first");
        }
        return f;
    }

    // ---------------------------------------------------------------- autodiff

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor as a parameter whose gradient {@link #backward()} should compute. */
    public Tensor requiresGrad(boolean value) {
        if (creator != null && !value) throw new IllegalStateException("cannot clear requiresGrad on a non-leaf tensor; use detach()");
        this.requiresGrad = value;
        return this;
    }

    /** The accumulated gradient, or null before any backward pass reached this tensor. */
    public Tensor grad() {
        if (gradZeroPending) {
            grad.fillInPlace(0f);
            gradZeroPending = false;
        }
        return grad;
    }

    /**
     * Clears the accumulated gradient (sets it to zero in place when present, avoiding garbage). The zeros are
     * written lazily: the next backward copies its gradient in instead of adding it to zeros (a pass over the
     * parameter saved each step), and {@link #grad()} writes them if it is read first.
     */
    public void zeroGrad() {
        if (grad != null) gradZeroPending = true;
    }

    /** A tensor sharing this one's storage but cut from the graph. */
    public Tensor detach() {
        return new Tensor(f, d, offset, shape, strides);
    }

    /** Back-propagates from a scalar (one-element) tensor, seeding its gradient with one. */
    public void backward() {
        if (size() != 1) {
            throw new IllegalStateException("backward() without an argument needs a scalar; got shape " + Shape.str(shape)
                    + ". Reduce it first (e.g. loss.mean()) or pass the upstream gradient to backward(Tensor)");
        }
        Tensor seed = uninitialized(dtype, shape);   // from the step's arena inside a training step
        if (dtype == DType.FLOAT32) seed.f[0] = 1f;
        else seed.d[0] = 1.0;
        backward(seed);
    }

    /** Back-propagates with the given upstream gradient {@code dThis} of this tensor's shape. */
    public void backward(Tensor dThis) {
        if (!requiresGrad) throw new IllegalStateException("backward() on a tensor that does not require gradients");
        if (!Shape.equal(dThis.shape, shape)) {
            throw new IllegalArgumentException("upstream gradient shape " + Shape.str(dThis.shape) + " differs from tensor shape " + Shape.str(shape));
        }
        BackwardWalk.borrow().backward(this, dThis);
    }

    /** Adds a leaf's gradient from a backward pass into {@link #grad} (called by {@link BackwardWalk}). */
    void accumulateGrad(Tensor g) {
        if (grad == null) {
            // Always a fresh copy: backward hands the same tensor to several inputs (add, sub, where), and the
            // upstream gradient belongs to the caller, so keeping g itself would let a later addInPlace on one
            // leaf's gradient change another's. Outside any StepArena: the gradient outlives the step.
            grad = StepArena.outside(() -> g.dtype == dtype ? g.copy() : g.to(dtype));
        } else if (gradZeroPending && grad.f != null && g.f != null && g.isContiguous()) {
            System.arraycopy(g.f, g.offset, grad.f, grad.offset, grad.size());   // 0 + g, without writing the zeros first
            gradZeroPending = false;
        } else {
            grad().addInPlace(g);
        }
    }

    // ---------------------------------------------------------------- conversions and in-place helpers

    /** A contiguous tensor with the same elements: this one if already contiguous, else a copy (tracked). */
    public Tensor contiguous() {
        return isContiguous() ? this : Movement.copy(this);
    }

    /** A fresh contiguous copy that owns its storage (tracked by autodiff). */
    public Tensor copy() {
        return Movement.copy(this);
    }

    /** The same values in another element type (not tracked by autodiff). */
    public Tensor to(DType target) {
        if (target == dtype) return this;
        return target == DType.FLOAT32 ? of(toFloatArray(), shape) : of(toDoubleArray(), shape);
    }

    /** Sets every element to {@code value}. In place: never call it on a tensor the graph still needs. */
    public Tensor fillInPlace(float value) {
        Tensor c = this;
        if (!isContiguous()) throw new IllegalStateException("fillInPlace needs a contiguous tensor");
        logitsOf = null;   // no longer a softmax or sigmoid of them
        int n = size();
        if (f != null) Arrays.fill(c.f, offset, offset + n, value);
        else Arrays.fill(c.d, offset, offset + n, value);
        return this;
    }

    /** {@code this += other} (same shape). In place: never call it on a tensor the graph still needs. */
    public Tensor addInPlace(Tensor other) {
        if (!Shape.equal(shape, other.shape)) {
            throw new IllegalArgumentException("addInPlace: shape " + Shape.str(other.shape) + " into " + Shape.str(shape));
        }
        if (!isContiguous()) throw new IllegalStateException("addInPlace needs a contiguous destination");
        logitsOf = null;   // no longer a softmax or sigmoid of them
        Tensor o = other.contiguous();
        int n = size();
        if (f != null && o.f != null) dev.kiln.core.kernel.Elementwise.addInPlace(f, offset, o.f, o.offset, n);
        else for (int i = 0; i < n; i++) set(offset + i, valueAt(offset + i) + o.valueAt(o.offset + i));
        return this;
    }

    double valueAt(int p) {
        return f != null ? f[p] : d[p];
    }

    void set(int p, double v) {
        if (f != null) f[p] = (float) v;
        else d[p] = v;
    }

    // ---------------------------------------------------------------- element-wise ops

    public Tensor add(Tensor o) { return BinaryOp.apply(BinaryKind.ADD, this, o); }

    public Tensor sub(Tensor o) { return BinaryOp.apply(BinaryKind.SUB, this, o); }

    public Tensor mul(Tensor o) { return BinaryOp.apply(BinaryKind.MUL, this, o); }

    /**
     * Inverted dropout (Srivastava et al. 2014), as {@code tf.nn.dropout}: each element zeroed with probability
     * {@code rate} and the rest scaled by 1/(1 − rate), one draw from {@code rng} per element, in order. The mask is a
     * constant of the graph (the gradient is the same mask); inside a training step it comes from the {@link StepArena}.
     */
    public Tensor dropout(double rate, Rng rng) {
        return dropoutBy(rate, rng, shape);
    }

    /**
     * {@link #dropout(double, Rng)} with one draw per element of {@code noiseShape}, which broadcasts to this shape:
     * (B, 1, 1, C) drops whole channels of an image batch, as SpatialDropout2D does.
     */
    public Tensor dropout(double rate, Rng rng, int... noiseShape) {
        boolean fits = noiseShape.length == shape.length;
        for (int i = 0; fits && i < shape.length; i++) fits = noiseShape[i] == shape[i] || noiseShape[i] == 1;
        if (!fits) {
            throw new IllegalArgumentException("dropout: noise shape " + Shape.str(noiseShape) + " does not fit the input's "
                    + Shape.str(shape) + "; give each of its " + shape.length + " axes the input's size or 1");
        }
        return dropoutBy(rate, rng, noiseShape);
    }

    private Tensor dropoutBy(double rate, Rng rng, int[] maskShape) {
        checkDropoutRate(rate);
        if (rate == 0) return this;
        return mul(fillDropoutMask(uninitializedCopying(dtype, maskShape), rate, rng));   // maskShape is read, not kept;
        // the mask is a constant: mul's node (refilled in a step) gives dX = dY·mask
    }

    /**
     * The (d0, d1) mask that {@link #dropout(double, Rng)} multiplies by, for a mask applied many times: each element
     * 1/(1 − rate) with probability 1 − rate, else 0, one draw from {@code rng} per element in order (so
     * {@code x.mul(dropoutMask(...))} has {@code x.dropout}'s bits). A recurrent layer's recurrent dropout drops the same
     * units at every time step with it. Inside a training step it comes from the {@link StepArena}.
     */
    public static Tensor dropoutMask(DType dtype, double rate, Rng rng, int d0, int d1) {
        checkDropoutRate(rate);
        if (d0 < 0 || d1 < 0) throw new IllegalArgumentException("dropoutMask: shape (" + d0 + ", " + d1 + ") has a negative dimension");
        return fillDropoutMask(uninitialized(dtype, d0, d1), rate, rng);
    }

    private static void checkDropoutRate(double rate) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
    }

    private static Tensor fillDropoutMask(Tensor m, double rate, Rng rng) {
        float keep = (float) (1 - rate), scale = 1f / keep;
        int n = m.size();
        if (m.f != null) for (int i = 0; i < n; i++) m.f[m.offset + i] = rng.uniform() < keep ? scale : 0f;
        else for (int i = 0; i < n; i++) m.d[m.offset + i] = rng.uniform() < keep ? scale : 0f;
        return m;
    }

    public Tensor div(Tensor o) { return BinaryOp.apply(BinaryKind.DIV, this, o); }

    /** Element-wise power with broadcasting. */
    public Tensor pow(Tensor o) { return BinaryOp.apply(BinaryKind.POW, this, o); }

    /** Element-wise maximum of two tensors (not a reduction; see {@link #max(int, boolean)}). */
    public Tensor maximum(Tensor o) { return BinaryOp.apply(BinaryKind.MAX, this, o); }

    public Tensor minimum(Tensor o) { return BinaryOp.apply(BinaryKind.MIN, this, o); }

    public Tensor add(float v) { return add(scalarLike(v)); }

    public Tensor sub(float v) { return sub(scalarLike(v)); }

    public Tensor mul(float v) { return mul(scalarLike(v)); }

    public Tensor div(float v) { return div(scalarLike(v)); }

    public Tensor pow(float v) { return pow(scalarLike(v)); }

    /**
     * A rank-0 constant of this tensor's dtype, for arithmetic with a number ({@code x.mul(2f)}, a loss's clip bounds).
     * Inside a training step a float32 one comes from the step's {@link StepArena}, like an op's result, so that the
     * constants a step makes are recycled with it: keep one past the step only as a copy. Outside a step it is fresh.
     */
    public Tensor scalarLike(double v) {
        if (dtype != DType.FLOAT32) return of(new double[] {v});
        Tensor t = StepArena.tensor(0, 0, 0, null, false);
        t.f[t.offset] = (float) v;
        return t;
    }

    public Tensor neg() { return map(UnaryKind.NEG); }

    public Tensor exp() { return map(UnaryKind.EXP); }

    public Tensor log() { return map(UnaryKind.LOG); }

    public Tensor sqrt() { return map(UnaryKind.SQRT); }

    public Tensor abs() { return map(UnaryKind.ABS); }

    public Tensor relu() { return map(UnaryKind.RELU); }

    public Tensor sigmoid() {
        Tensor y = map(UnaryKind.SIGMOID);
        y.activationOf(this, true);
        return y;
    }

    public Tensor tanh() { return map(UnaryKind.TANH); }

    public Tensor square() { return mul(this); }

    Tensor map(UnaryKind kind) { return UnaryOp.apply(kind, this); }

    /** {@code cond ? a : b} element-wise; {@code cond} is non-zero for true and is not differentiated. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { return Where.apply(cond, a, b); }

    /**
     * A float32 0/1 tensor of this shape, 1 where an element differs from {@code value} (NaN differs from everything):
     * Keras's {@code not_equal} as a mask, e.g. the padding mask of token ids. Not differentiated; inside a training
     * step it comes from the step's arena, like any op result.
     */
    public Tensor notEqual(double value) {
        if (!isContiguous()) return contiguous().notEqual(value);
        Tensor out = uninitializedCopying(DType.FLOAT32, shape);
        int n = size();
        if (f != null) {
            float v = (float) value;
            for (int i = 0; i < n; i++) out.f[i] = f[offset + i] != v ? 1f : 0f;
        } else {
            for (int i = 0; i < n; i++) out.f[i] = d[offset + i] != value ? 1f : 0f;
        }
        return out;
    }

    // ---------------------------------------------------------------- reductions

    /** Sum of all elements (a scalar). */
    public Tensor sum() { return Reduce.Sum.apply(this, null, false); }

    public Tensor sum(int axis, boolean keepDims) { return Reduce.Sum.apply(this, Reduce.axisBit(rank(), axis), keepDims); }

    public Tensor sum(int[] axes, boolean keepDims) { return Reduce.Sum.apply(this, axes, keepDims); }

    /** Mean of all elements (a scalar). */
    public Tensor mean() { return sum().div(Math.max(1, size())); }

    public Tensor mean(int axis, boolean keepDims) { return sum(axis, keepDims).div(shape(axis)); }

    public Tensor mean(int[] axes, boolean keepDims) {
        int n = 1;
        for (int a : axes) n *= shape(a);
        return sum(axes, keepDims).div(n);
    }

    /** Maximum of all elements (a scalar). */
    public Tensor max() { return Reduce.Max.apply(this, null, false); }

    public Tensor max(int axis, boolean keepDims) { return Reduce.Max.apply(this, Reduce.axisBit(rank(), axis), keepDims); }

    /** Index of the maximum along the last axis, per row (no gradient). Handy for class predictions. */
    public int[] argmaxLastAxis() {
        int n = shape.length == 0 ? 1 : shape[shape.length - 1];
        return argmaxLastAxis(new int[n == 0 ? 0 : size() / n]);
    }

    /** {@link #argmaxLastAxis()} written into {@code out} (one entry per row, exactly), for loops that reuse it. */
    public int[] argmaxLastAxis(int[] out) {
        Tensor c = contiguous();
        int n = shape.length == 0 ? 1 : shape[shape.length - 1];
        int rows = n == 0 ? 0 : c.size() / n;
        if (out.length != rows) throw new IllegalArgumentException("argmaxLastAxis: " + out.length + " entries for " + rows + " rows");
        for (int r = 0; r < rows; r++) {
            int best = 0;
            double bv = c.valueAt(c.offset + r * n);
            for (int j = 1; j < n; j++) {
                double v = c.valueAt(c.offset + r * n + j);
                if (v > bv) { bv = v; best = j; }
            }
            out[r] = best;
        }
        return out;
    }

    // ---------------------------------------------------------------- composites

    /**
     * Softmax along {@code axis}, stabilised by subtracting the row maximum. Along the last axis one op (one kernel
     * forward and backward), whose result remembers this tensor as its logits ({@link #softmaxLogits}).
     */
    public Tensor softmax(int axis) {
        if (rank() > 0 && Shape.axis(axis, rank()) == rank() - 1) return Softmax.apply(this);
        Tensor e = sub(Reduce.Max.constant(this, Reduce.axisBit(rank(), axis))).exp();
        return e.div(e.sum(axis, true));
    }

    /**
     * The logits z when this tensor is {@code z.softmax(-1)} (Keras's {@code _keras_logits}), else null: a
     * cross-entropy on these probabilities reads z instead, exact for any logits and one fused op, where the
     * probabilities would have to be clipped to [1e-7, 1 − 1e-7]. The in-place ops drop the link.
     */
    public Tensor softmaxLogits() {
        return logitsOf != null && !sigmoidOf ? logitsOf : null;
    }

    /** The logits z when this tensor is {@code z.sigmoid()}, else null (see {@link #softmaxLogits}). */
    public Tensor sigmoidLogits() {
        return logitsOf != null && sigmoidOf ? logitsOf : null;
    }

    /** Marks this result as {@code logits}' softmax (by {@link Softmax}) or sigmoid. */
    void activationOf(Tensor logits, boolean sigmoid) {
        logitsOf = logits;
        sigmoidOf = sigmoid;
    }

    /** log(softmax(x)) along {@code axis}, computed as x - max - log Σ exp(x - max) so it never overflows. */
    public Tensor logSoftmax(int axis) {
        Tensor shifted = sub(Reduce.Max.constant(this, Reduce.axisBit(rank(), axis)));
        return shifted.sub(shifted.exp().sum(axis, true).log());
    }

    // ---------------------------------------------------------------- linear algebra

    /** Matrix product over the last two dimensions, batch dimensions broadcast. */
    public Tensor matmul(Tensor o) { return MatMul.apply(this, o); }

    // ---------------------------------------------------------------- movement

    /** Same elements in a new shape (one dimension may be -1); a view when contiguous. */
    public Tensor reshape(int... newShape) { return Movement.Reshape.apply(this, newShape); }

    /** {@link #reshape(int...)} to one dimension ({@code -1}: all elements); no shape array made. */
    public Tensor reshape(int d0) { return Movement.Reshape.apply(this, d0); }

    /**
     * {@link #reshape(int...)} to two dimensions, with no shape array per call: Reshape copies the shape whenever it
     * keeps it (a new view, a -1 filled in).
     */
    public Tensor reshape(int d0, int d1) {
        int[] s = ShapeScratch.of(ShapeScratch.RESHAPE, 2);
        s[0] = d0;
        s[1] = d1;
        return Movement.Reshape.apply(this, s);
    }

    /** {@link #reshape(int...)} to three dimensions; no shape array kept per call. */
    public Tensor reshape(int d0, int d1, int d2) {
        int[] s = ShapeScratch.of(ShapeScratch.RESHAPE, 3);
        s[0] = d0;
        s[1] = d1;
        s[2] = d2;
        return Movement.Reshape.apply(this, s);
    }

    /** Untracked reshape of a fresh contiguous result (internal). */
    Tensor viewAs(int[] newShape) {
        return StepArena.view(this, newShape, true);
    }

    /** Reorders dimensions as a view. */
    public Tensor permute(int... dims) { return Movement.Permute.apply(this, dims); }

    /** Swaps two dimensions as a view. */
    public Tensor transpose(int a, int b) {
        int[] dims = new int[rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = i;
        int x = Shape.axis(a, rank()), y = Shape.axis(b, rank());
        dims[x] = y;
        dims[y] = x;
        return permute(dims);
    }

    /** Elements {@code start} (inclusive) to {@code end} (exclusive) along {@code axis}, as a view. */
    public Tensor slice(int axis, int start, int end) { return Movement.Slice.apply(this, axis, start, end); }

    /** Broadcasts to a larger shape as a view (stride 0 along expanded dimensions). */
    public Tensor expand(int... newShape) { return Movement.Expand.apply(this, newShape); }

    /** Joins tensors along an axis. */
    public static Tensor concat(int axis, Tensor... xs) { return Movement.Concat.apply(axis, xs); }

    /** Selects entries {@code indices} along {@code axis} (embedding lookup is {@code table.indexSelect(0, ids)}). */
    public Tensor indexSelect(int axis, int[] indices) { return Gather.IndexSelect.apply(this, axis, indices); }

    /** One element along {@code axis} per position of the other axes; the axis is removed. */
    public Tensor gatherAlong(int axis, int[] indices) { return Gather.Along.apply(this, axis, indices); }

    // ---------------------------------------------------------------- printing

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Shape.str(shape));
        if (dtype != DType.FLOAT32) sb.append(' ').append(dtype);
        if (requiresGrad) sb.append(" requiresGrad");
        if (name != null) sb.append(" '").append(name).append('\'');
        int n = size();
        if (n <= 16) {
            double[] v = toDoubleArray();
            sb.append(" [");
            for (int i = 0; i < v.length; i++) sb.append(i > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.5g", v[i]));
            sb.append(']');
        }
        return sb.toString();
    }
}
