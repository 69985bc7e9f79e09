package dev.kiln.core;

/**
 * Walks several operands over one shape, row by row, so kernels only ever see a 1-D inner loop with a
 * stride per operand. Adjacent dimensions that are laid out consecutively in every operand are merged
 * first, so a contiguous same-shape operation becomes a single long row.
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
}
