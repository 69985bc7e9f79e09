package dev.kiln.core;

/**
 * Walks several operands over one shape, row by row, so kernels only ever see a 1-D inner loop with a
 * stride per operand. Adjacent dimensions that are laid out consecutively in every operand are merged
 * first, so a contiguous same-shape operation becomes a single long row. {@link Walk} is the same plan
 * and order as a reusable cursor, for the ops a training step runs hundreds of times (broadcasting
 * binary ops, copies): {@link #plan} makes arrays and the caller's row lambda is garbage on every call.
 */
final class Strided {
    /** Receives the storage offset of each operand at the start of a row, and the row length. */
    @FunctionalInterface
    interface Row {
        void run(int[] offsets, int n);
    }

    private final int[] shape;      // coalesced
    private final int[][] strides;  // [operand][dim], coalesced

    private Strided(int[] shape, int[][] strides) {
        this.shape = shape;
        this.strides = strides;
    }

    /** A plan for iterating {@code shape} with one stride array per operand (0 = broadcast). */
    static Strided plan(int[] shape, int[]... operandStrides) {
        int r = shape.length;
        int k = operandStrides.length;
        int[] sh = new int[Math.max(1, r)];
        int[][] st = new int[k][Math.max(1, r)];
        int out = 0;
        if (r == 0) {
            sh[0] = 1;
            out = 1;
        }
        for (int d = 0; d < r; d++) {
            if (shape[d] == 1 && r > 1) continue; // size-1 dims never move any offset
            if (out > 0 && canMerge(shape, operandStrides, st, out - 1, d)) {
                sh[out - 1] *= shape[d];
                for (int o = 0; o < k; o++) st[o][out - 1] = operandStrides[o][d];
            } else {
                sh[out] = shape[d];
                for (int o = 0; o < k; o++) st[o][out] = operandStrides[o][d];
                out++;
            }
        }
        if (out == 0) { // all dims were 1
            sh[0] = 1;
            out = 1;
        }
        int[] fs = java.util.Arrays.copyOf(sh, out);
        int[][] fst = new int[k][];
        for (int o = 0; o < k; o++) fst[o] = java.util.Arrays.copyOf(st[o], out);
        return new Strided(fs, fst);
    }

    /** Dim {@code d} folds into the previous kept dim when, for every operand, stepping the previous dim equals stepping all of d. */
    private static boolean canMerge(int[] shape, int[][] src, int[][] merged, int prevDim, int d) {
        for (int o = 0; o < src.length; o++) {
            if ((long) merged[o][prevDim] != (long) src[o][d] * shape[d]) return false;
        }
        return true;
    }

    /** Inner (last-dimension) stride of operand {@code o}. */
    int inner(int o) {
        return strides[o][shape.length - 1];
    }

    int innerLength() {
        return shape[shape.length - 1];
    }

    /** Runs {@code row} once per row, with operand offsets starting from {@code base}. */
    void forEachRow(int[] base, Row row) {
        for (int s : shape) if (s == 0) return; // an empty shape has no rows (a zero outer dim must not run one)
        int r = shape.length;
        int k = base.length;
        int[] off = base.clone();
        int n = shape[r - 1];
        if (r == 1) {
            row.run(off, n);
            return;
        }
        int[] idx = new int[r - 1];
        int[] cur = new int[k];
        while (true) {
            for (int o = 0; o < k; o++) cur[o] = off[o];
            row.run(cur, n);
            int d = r - 2;
            while (d >= 0) {
                idx[d]++;
                for (int o = 0; o < k; o++) off[o] += strides[o][d];
                if (idx[d] < shape[d]) break;
                for (int o = 0; o < k; o++) off[o] -= strides[o][d] * shape[d];
                idx[d] = 0;
                d--;
            }
            if (d < 0) return;
        }
    }

    /**
     * {@link #plan} and {@link #forEachRow} as a cursor over storage that one thread keeps between calls: set each
     * operand's strides (broadcast to the walked shape) and base offset, {@link #start}, then read the offsets of
     * each row after {@link #next}; {@link #release} when done. The rows and their order are exactly {@link #plan}'s.
     * A walk taken while this thread's is still in use (an op inside a row's kernel) is a fresh one, so nesting is
     * safe. Per-thread, never shared: kernel threads do not walk.
     */
    static final class Walk {
        private static final ThreadLocal<Walk> MINE = ThreadLocal.withInitial(Walk::new);
        private int[] shape = new int[4];             // coalesced
        private int[][] strides = new int[3][4];      // [operand][dim]: broadcast strides, then coalesced in place
        private final int[] off = new int[3];
        private int[] idx = new int[4];
        private int rank, operands;
        private boolean busy, started, done;

        /** This thread's walk for {@code operands} (at most 3) operands over a shape of {@code rank} dims. */
        static Walk take(int rank, int operands) {
            Walk w = MINE.get();
            if (w.busy) w = new Walk();
            w.busy = true;
            int cap = Math.max(1, rank);
            if (w.shape.length < cap) {
                w.shape = new int[cap];
                w.idx = new int[cap];
                for (int o = 0; o < w.strides.length; o++) w.strides[o] = new int[cap];
            }
            w.operands = operands;
            return w;
        }

        /** Operand {@code o} has {@code shape}/{@code strides} (broadcast to the walked shape) and starts at {@code base}. */
        Walk operand(int o, int[] shape, int[] strides, int[] target, int base) {
            int[] out = this.strides[o];
            int lead = target.length - shape.length;
            for (int i = 0; i < lead; i++) out[i] = 0;
            for (int i = 0; i < shape.length; i++) out[i + lead] = shape[i] == 1 && target[i + lead] != 1 ? 0 : strides[i];
            off[o] = base;
            return this;
        }

        /** Operand {@code o} walks with {@code strides} (one per walked dim, as given) from {@code base}. */
        Walk operand(int o, int[] strides, int base) {
            System.arraycopy(strides, 0, this.strides[o], 0, strides.length);
            off[o] = base;
            return this;
        }

        /** Operand {@code o} stays put along {@code dim} (stride 0: a reduction's output); after its strides are set. */
        Walk hold(int o, int dim) {
            strides[o][dim] = 0;
            return this;
        }

        /** Coalesces {@code target} with the operands' strides as {@link #plan} does; rows then come from {@link #next}. */
        Walk start(int[] target) {
            int r = target.length, k = operands, out = 0;
            int[] sh = shape;
            int[][] st = strides;
            if (r == 0) {
                sh[0] = 1;
                for (int o = 0; o < k; o++) st[o][0] = 0;
                out = 1;
            }
            for (int d = 0; d < r; d++) {
                if (target[d] == 1 && r > 1) continue;
                // In place: the coalesced dim written (out or out - 1) is never after d, the raw dim read.
                if (out > 0 && mergeable(target, out - 1, d)) {
                    sh[out - 1] *= target[d];
                    for (int o = 0; o < k; o++) st[o][out - 1] = st[o][d];
                } else {
                    sh[out] = target[d];
                    for (int o = 0; o < k; o++) st[o][out] = st[o][d];
                    out++;
                }
            }
            if (out == 0) {   // all dims were 1: one row of one element, strides 0 as plan's fresh arrays have
                sh[0] = 1;
                for (int o = 0; o < k; o++) st[o][0] = 0;
                out = 1;
            }
            rank = out;
            for (int d = 0; d < out - 1; d++) idx[d] = 0;
            started = false;
            done = false;
            for (int d = 0; d < out; d++) if (sh[d] == 0) done = true;   // an empty shape has no rows
            return this;
        }

        private boolean mergeable(int[] target, int prevDim, int d) {
            for (int o = 0; o < operands; o++) {
                if ((long) strides[o][prevDim] != (long) strides[o][d] * target[d]) return false;
            }
            return true;
        }

        int inner(int o) {
            return strides[o][rank - 1];
        }

        int innerLength() {
            return shape[rank - 1];
        }

        /** Moves to the next row (the first on the first call); false when there is none. */
        boolean next() {
            if (done) return false;
            if (!started) {
                started = true;
                return true;
            }
            int d = rank - 2;
            while (d >= 0) {
                idx[d]++;
                for (int o = 0; o < operands; o++) off[o] += strides[o][d];
                if (idx[d] < shape[d]) return true;
                for (int o = 0; o < operands; o++) off[o] -= strides[o][d] * shape[d];
                idx[d] = 0;
                d--;
            }
            done = true;
            return false;
        }

        /** Operand {@code o}'s storage offset at the start of the current row. */
        int at(int o) {
            return off[o];
        }

        /** Hands the walk back to its thread. */
        void release() {
            busy = false;
        }
    }
}
