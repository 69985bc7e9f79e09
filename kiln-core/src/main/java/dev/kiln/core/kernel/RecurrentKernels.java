package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A whole LSTM (and GRU, below) sequence (Hochreiter &amp; Schmidhuber 1997; gates i, f, c̃, o as Keras) in float32: the
 * forward loop and its backpropagation through time in one pass each. The scalar twin (the float64 path and the
 * contract reference) is {@link ScalarRecurrent}.
 *
 * <p><b>LSTM layout.</b> The input projection, the recurrent product and the bias are one GEMM per step: row (s, b)
 * of {@code hx} (T, B, K = U + F + 1) holds [h<sub>s−1</sub> | x<sub>s</sub> | 1], and {@code [R; W; b]} (K, 4U)
 * is stacked once per call, so z<sub>s</sub> = hx<sub>s</sub>·[R; W; b]. Backward mirrors it: per step one GEMM
 * dz<sub>s</sub>·[R; W]ᵀ gives dh<sub>s−1</sub> and dx<sub>s</sub> together, and after the loop one GEMM
 * hxᵀ·dz gives dR, dW and the bias gradient at once (from {@code hxT}, hx transposed during the loop). {@code cs} (T, B, U) keeps the cell states, {@code gates}
 * (T, B, 4U) the activated gates (zero on padded rows) and, after backward, dz. {@code keep} (T, B) or null:
 * 0 = padded step, both states carried over unchanged.
 *
 * <p><b>Threads.</b> The recurrence couples the steps but never the batch rows, so each thread takes a block of
 * rows through the whole sequence with no synchronisation per step (one fork for forward, one for BPTT), and the
 * per-step GEMMs run on that thread ({@link Gemm#gemmSerial}). Every element is computed by the same
 * expression whatever the split (GEMM sums in a fixed K order; gate math through {@link FastMath}, whose vector
 * lanes and scalar tail agree bit for bit), so results do not depend on the thread count or the vector length.
 */
public final class RecurrentKernels {
    private static final VectorSpecies<Float> S = FastMath.S;
    private static final int VL = S.length();

    private RecurrentKernels() {}

    /**
     * Per-thread scratch, so a warmed-up training step's recurrent kernels allocate nothing. The calling thread's
     * fields ({@code stacked} to {@code direct}) live for one kernel call and are read (never written) by the pool's
     * workers while it waits in {@link Parallel#forRange}; {@code row} and {@code block} are taken inside a
     * forRange body and so are the running thread's own. Reused arrays are not zero-filled: every use below either
     * writes all it reads or clears what it relies on.
     */
    private static final class Scratch {
        float[] stacked = EMPTY;   // LSTM: [R; W; b] in forward, [dR; dW; dBias] after backward's loop (K, 4U)
        float[] rw = EMPTY;        // LSTM backward: [R; W] with zero rows to N (N, 4U), packed transposed
        float[] dhx = EMPTY;       // LSTM backward: dh | dx per row (B, N)
        float[] dhTotal = EMPTY;   // LSTM backward with a mask: dh passed through padded steps (B, U)
        float[] dHr = EMPTY;       // GRU backward: gradient of h·R + rb at every step (T, B, 3U)
        float[] direct = EMPTY;    // GRU backward: the part of dh not through R (B, U)
        float[] row = EMPTY;       // LSTM backward: tanh(c_s) of one row (U), per worker
        float[] block = EMPTY;     // GRU forward: h·R + rb of one block's rows (rows, 3U), per worker
        float[] packed = EMPTY;    // the B operand of the per-step GEMM, packed once per call (Gemm.pack), shared by the workers
    }

    private static final float[] EMPTY = new float[0];
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Floats a scratch array may keep between calls (4 MiB). Every array here is sized to the call (weights, a
     * batch of rows, or one row), so the bound only matters for very wide layers or long sequences (the GRU's dHr
     * is T·B·3U): those get an array per call, as before, rather than pinning tens of megabytes per thread forever.
     */
    static final int KEEP_MAX = 1 << 20;

    /** {@code have} when it holds n floats (contents unspecified), else a new array, which the caller keeps if small enough. */
    private static float[] atLeast(float[] have, int n) {
        return have.length >= n ? have : new float[n];
    }

    /**
     * op(B) (k × n, from B with row stride ldb, transposed when {@code tb}) packed once into the calling thread's
     * scratch ({@link Gemm#pack}), for the per-step GEMM of every step on every worker, which only read it.
     */
    private static float[] packOnce(boolean tb, float[] b, int bo, int ldb, int k, int n) {
        Scratch sc = SCRATCH.get();
        float[] packed = atLeast(sc.packed, Gemm.packedSize(k, n));
        sc.packed = retain(sc.packed, packed);
        Gemm.pack(tb, b, bo, ldb, k, n, packed);
        return packed;
    }

    /** What a scratch field should hold after a call needed {@code got}: it, unless over {@link #KEEP_MAX}. */
    private static float[] retain(float[] had, float[] got) {
        return got.length <= KEEP_MAX ? got : had;
    }

    /**
     * Splits the batch into blocks of whole GEMM micro-tile rows; one block (no fork) when the work is small. The body
     * gets tile indices (row tile i holds rows i·MR …) and maps them to rows itself, so no wrapping lambda is made.
     */
    private static void forRowTiles(int b, long work, Parallel.RangeBody tiles) {
        int n = (b + Gemm.MR - 1) / Gemm.MR;
        Parallel.forRange(n, work < (1L << 20) ? n : 1, tiles);
    }

    /**
     * A recurrent kernel's per-row work over the pool, forward or backward: the pool hands out row tiles of
     * {@link Gemm#MR} (see {@link #forRowTiles}), mapped here to the batch rows [b0, b1).
     */
    private abstract static class RowTiles implements Parallel.RangeBody {
        boolean backward;
        int b;   // batch rows

        abstract void forwardRows(int b0, int b1);

        abstract void backwardRows(int b0, int b1);

        @Override
        public void run(int t0, int t1) {
            int b0 = t0 * Gemm.MR, b1 = Math.min(b, t1 * Gemm.MR);
            if (backward) backwardRows(b0, b1);
            else forwardRows(b0, b1);
        }
    }

    /**
     * The LSTM's per-row work over the pool (forward's recurrence, or backward's BPTT), as one reusable body per calling
     * thread instead of capturing lambdas: a training step runs both once, and each lambda was an allocation.
     * The row blocks are whole GEMM row tiles ({@link #forRowTiles}).
     */
    private static final class LstmRows extends RowTiles {
        int t, f, u, n, co, g4, k;
        float[] keep, hx, cs, gates, last, seq, c0, hxT, dSeq, dLast, dx, dh0, dc0, dhx, dhTotal;
        float[] packed;   // the per-step GEMM's B, packed once (Gemm.pack): [R; W; b] in forward, [R; W]ᵀ in backward

        void forward(int t, int b, int f, int u, float[] keep, float[] hx, float[] cs, float[] gates, float[] last, float[] seq,
                     float[] packed, float[] c0, int co) {
            this.backward = false;
            this.t = t; this.b = b; this.f = f; this.u = u; this.g4 = 4 * u; this.k = lstmRowWidth(f, u);
            this.keep = keep; this.hx = hx; this.cs = cs; this.gates = gates; this.last = last; this.seq = seq;
            this.packed = packed; this.c0 = c0; this.co = co;
        }

        void backward(int t, int b, int f, int u, float[] keep, float[] hx, float[] cs, float[] gates, float[] hxT, float[] dSeq,
                      float[] dLast, float[] dx, float[] dh0, float[] dc0, float[] packed, float[] dhx, float[] dhTotal, int n,
                      float[] c0, int co) {
            this.backward = true;
            this.t = t; this.b = b; this.f = f; this.u = u; this.g4 = 4 * u; this.k = lstmRowWidth(f, u); this.n = n;
            this.keep = keep; this.hx = hx; this.cs = cs; this.gates = gates; this.hxT = hxT; this.dSeq = dSeq; this.dLast = dLast;
            this.dx = dx; this.dh0 = dh0; this.dc0 = dc0; this.packed = packed; this.dhx = dhx; this.dhTotal = dhTotal;
            this.c0 = c0; this.co = co;
        }

        /** Drops the arrays so an idle thread's body keeps no model's buffers alive. */
        void clear() {
            keep = hx = cs = gates = last = seq = packed = c0 = hxT = dSeq = dLast = dx = dh0 = dc0 = dhx = dhTotal = null;
        }

        void runOver(int rows, long work) {
            forRowTiles(rows, work, this);
        }

        @Override
        void forwardRows(int b0, int b1) {
            for (int s = 0; s < t; s++) {
                int rows = b1 - b0, z0 = (s * b + b0) * g4;
                Gemm.gemmSerialPacked(rows, g4, k, hx, (s * b + b0) * k, k, packed, gates, z0, g4, false);
                for (int row = b0; row < b1; row++) {
                    int sr = s * b + row, z = sr * g4, cp = s == 0 ? co + row * u : sr * u - b * u;
                    float[] cPrev = s == 0 ? c0 : cs;
                    // where h_s goes: the h columns of the next step's row, or last
                    float[] hDst = s + 1 < t ? hx : last;
                    int hd = s + 1 < t ? (sr + b) * k : row * 2 * u;
                    if (keep != null && keep[sr] == 0) {
                        System.arraycopy(hx, sr * k, hDst, hd, u);
                        System.arraycopy(cPrev, cp, cs, sr * u, u);
                        java.util.Arrays.fill(gates, z, z + g4, 0f);   // padded: no gates (as the scalar twin)
                    } else {
                        lstmCell(u, gates, z, cPrev, cp, cs, sr * u, hDst, hd);
                    }
                    if (seq != null) {
                        System.arraycopy(hDst, hd, seq, sr * 2 * u, u);
                        System.arraycopy(cs, sr * u, seq, sr * 2 * u + u, u);
                    }
                    if (s == t - 1) System.arraycopy(cs, sr * u, last, row * 2 * u + u, u);
                }
            }
        }

        @Override
        void backwardRows(int b0, int b1) {
            Scratch own = SCRATCH.get();   // this worker's: tanh(c_s) of one row, fully written before each read
            float[] tc = atLeast(own.row, u);
            own.row = retain(own.row, tc);
            for (int row = b0; row < b1; row++) {
                if (dLast != null) {
                    System.arraycopy(dLast, row * 2 * u, dhx, row * n, u);
                    System.arraycopy(dLast, row * 2 * u + u, dc0, row * u, u);
                } else {
                    java.util.Arrays.fill(dhx, row * n, row * n + u, 0f);   // no gradient into the last h
                    java.util.Arrays.fill(dc0, row * u, row * u + u, 0f);
                }
            }
            for (int s = t - 1; s >= 0; s--) {
                for (int q = 0; q < k; q++) {
                    for (int row = b0, dst = q * t * b + s * b + b0; row < b1; row++, dst++) hxT[dst] = hx[(s * b + row) * k + q];
                }
                for (int row = b0; row < b1; row++) {
                    int sr = s * b + row, z = sr * g4;
                    float[] cPrev = s == 0 ? c0 : cs;
                    int cp = s == 0 ? co + row * u : sr * u - b * u;
                    if (keep != null && keep[sr] == 0) {
                        for (int j = 0; j < u; j++) {
                            dhTotal[row * u + j] = dSeq == null ? dhx[row * n + j] : dhx[row * n + j] + dSeq[sr * 2 * u + j];
                            if (dSeq != null) dc0[row * u + j] += dSeq[sr * 2 * u + u + j];
                        }
                        java.util.Arrays.fill(gates, z, z + g4, 0f);
                    } else {
                        FastMath.tanh(cs, sr * u, tc, 0, u);
                        lstmCellBackward(u, gates, z, cPrev, cp, tc, dSeq, sr * 2 * u, dhx, row * n, dc0, row * u);
                    }
                }
                // dh_{s-1} | dx_s = dz_s · [R; W]ᵀ for this block's rows
                Gemm.gemmSerialPacked(b1 - b0, n, g4, gates, (s * b + b0) * g4, g4, packed, dhx, b0 * n, n, false);
                for (int row = b0; row < b1; row++) {
                    System.arraycopy(dhx, row * n + u, dx, (row * t + s) * f, f);
                    if (keep != null && keep[s * b + row] == 0) System.arraycopy(dhTotal, row * u, dhx, row * n, u);   // passes through
                }
            }
            for (int row = b0; row < b1; row++) System.arraycopy(dhx, row * n, dh0, row * u, u);
        }
    }

    private static final ThreadLocal<LstmRows> LSTM_ROWS = ThreadLocal.withInitial(LstmRows::new);

    /** The GRU's per-row work over the pool, forward or backward, as one reusable body per calling thread (see LstmRows). */
    private static final class GruRows extends RowTiles {
        int t, u, g3, g4, po, ro, rbo, ho;
        float[] proj, r, rb, h0, keep, out, gates, dOut, dProj, dHr, dh, direct;
        float[] rp;   // the per-step GEMM's B packed (Gemm.pack): R in forward, Rᵀ in backward

        void forward(int t, int b, int u, float[] proj, int po, float[] r, int ro, float[] rb, int rbo, float[] h0, int ho,
                     float[] keep, float[] out, float[] gates) {
            this.backward = false;
            this.t = t; this.b = b; this.u = u; this.g3 = 3 * u; this.g4 = 4 * u;
            this.proj = proj; this.po = po; this.r = r; this.ro = ro; this.rb = rb; this.rbo = rbo; this.h0 = h0; this.ho = ho;
            this.keep = keep; this.out = out; this.gates = gates;
            this.rp = packOnce(false, r, ro, g3, u, g3);
        }

        void backward(int t, int b, int u, float[] r, int ro, float[] h0, int ho, float[] keep, float[] out, float[] gates,
                      float[] dOut, float[] dProj, float[] dHr, float[] dh, float[] direct) {
            this.backward = true;
            this.t = t; this.b = b; this.u = u; this.g3 = 3 * u; this.g4 = 4 * u;
            this.r = r; this.ro = ro; this.h0 = h0; this.ho = ho; this.keep = keep; this.out = out; this.gates = gates;
            this.dOut = dOut; this.dProj = dProj; this.dHr = dHr; this.dh = dh; this.direct = direct;
            this.rp = packOnce(true, r, ro, g3, g3, u);   // Rᵀ (3U, U), read from R in place
        }

        /** Drops the arrays so an idle thread's body keeps no model's buffers alive. */
        void clear() {
            proj = r = rb = h0 = keep = out = gates = dOut = dProj = dHr = dh = direct = rp = null;
        }

        void runOver() {
            forRowTiles(b, (long) t * b * g3 * u, this);
        }

        @Override
        void forwardRows(int b0, int b1) {
            Scratch own = SCRATCH.get();   // this worker's; every row is reset to rb each step before the GEMM adds to it
            float[] hr = atLeast(own.block, (b1 - b0) * g3);   // h·R + rb of this block's rows at one step
            own.block = retain(own.block, hr);
            for (int s = 0; s < t; s++) {
                for (int row = b0; row < b1; row++) System.arraycopy(rb, rbo, hr, (row - b0) * g3, g3);
                if (s == 0) Gemm.gemmSerialPacked(b1 - b0, g3, u, h0, ho + b0 * u, u, rp, hr, 0, g3, true);
                else Gemm.gemmSerialPacked(b1 - b0, g3, u, out, ((s - 1) * b + b0) * u, u, rp, hr, 0, g3, true);
                for (int row = b0; row < b1; row++) {
                    int p = po + (s * b + row) * g3, q = (row - b0) * g3, z = (s * b + row) * g4, oo = (s * b + row) * u;
                    float[] hs = s == 0 ? h0 : out;
                    int hp = s == 0 ? ho + row * u : oo - b * u;
                    if (keep != null && keep[s * b + row] == 0) {
                        System.arraycopy(hs, hp, out, oo, u);
                        java.util.Arrays.fill(gates, z, z + g4, 0f);
                        continue;
                    }
                    for (int j = 0; j < u; j++) {
                        float zg = FastMath.sigmoid(proj[p + j] + hr[q + j]);
                        float rg = FastMath.sigmoid(proj[p + u + j] + hr[q + u + j]);
                        float hrh = hr[q + 2 * u + j];
                        float n = FastMath.tanh(proj[p + 2 * u + j] + rg * hrh);
                        gates[z + j] = zg;
                        gates[z + u + j] = rg;
                        gates[z + 2 * u + j] = n;
                        gates[z + 3 * u + j] = hrh;
                        out[oo + j] = n + zg * (hs[hp + j] - n);
                    }
                }
            }
        }

        @Override
        void backwardRows(int b0, int b1) {
            for (int s = t - 1; s >= 0; s--) {
                for (int row = b0; row < b1; row++) {
                    int p = (s * b + row) * g3, z = (s * b + row) * g4, oo = (s * b + row) * u, bu = row * u;
                    float[] hs = s == 0 ? h0 : out;
                    int hp = s == 0 ? ho + bu : oo - b * u;
                    if (keep != null && keep[s * b + row] == 0) {
                        for (int j = 0; j < u; j++) direct[bu + j] = dh[bu + j] + dOut[oo + j];   // passes through
                        java.util.Arrays.fill(dProj, p, p + g3, 0f);
                        java.util.Arrays.fill(dHr, p, p + g3, 0f);   // no gradient through R (a reused array is not zero)
                        continue;
                    }
                    for (int j = 0; j < u; j++) {
                        float dht = dh[bu + j] + dOut[oo + j];
                        float zg = gates[z + j], rg = gates[z + u + j], n = gates[z + 2 * u + j], hrh = gates[z + 3 * u + j];
                        float dan = dht * (1 - zg) * (1 - n * n);
                        float daz = dht * (hs[hp + j] - n) * zg * (1 - zg);
                        float dar = dan * hrh * rg * (1 - rg);
                        dProj[p + j] = daz;
                        dProj[p + u + j] = dar;
                        dProj[p + 2 * u + j] = dan;
                        dHr[p + j] = daz;
                        dHr[p + u + j] = dar;
                        dHr[p + 2 * u + j] = dan * rg;
                        direct[bu + j] = dht * zg;
                    }
                }
                // dh_{s-1} = dHr · Rᵀ + direct, this block's rows
                Gemm.gemmSerialPacked(b1 - b0, u, g3, dHr, (s * b + b0) * g3, g3, rp, dh, b0 * u, u, false);
                for (int i = b0 * u; i < b1 * u; i++) dh[i] += direct[i];
            }
        }
    }

    private static final ThreadLocal<GruRows> GRU_ROWS = ThreadLocal.withInitial(GruRows::new);

    /** The width of {@code hx}'s rows: [h | x | 1]. */
    public static int lstmRowWidth(int f, int u) {
        return u + f + 1;
    }

    /**
     * LSTM forward. Reads x (B, T, F) at {@code xo}, W (F, 4U), bias (4U), R (U, 4U), h0 and c0 (B, U); fills
     * {@code hx} (T, B, K), {@code cs} (T, B, U) and {@code gates} (T, B, 4U), which backward needs, {@code last}
     * (B, 2U) the final h | c, and {@code seq} (T, B, 2U), h | c of every step, when not null.
     */
    public static void lstmForward(int t, int b, int f, int u, float[] x, int xo, float[] w, int wo, float[] bias, int bo,
                                   float[] r, int ro, float[] h0, int ho, float[] c0, int co, float[] keep,
                                   float[] hx, float[] cs, float[] gates, float[] last, float[] seq) {
        int g4 = 4 * u, k = lstmRowWidth(f, u);
        Scratch sc = SCRATCH.get();
        float[] wrb = atLeast(sc.stacked, k * g4);   // [R; W; b] (K, 4U), every element written below
        sc.stacked = retain(sc.stacked, wrb);
        for (int p = 0; p < u; p++) System.arraycopy(r, ro + p * g4, wrb, p * g4, g4);
        for (int p = 0; p < f; p++) System.arraycopy(w, wo + p * g4, wrb, (u + p) * g4, g4);
        System.arraycopy(bias, bo, wrb, (u + f) * g4, g4);
        float[] packed = packOnce(false, wrb, 0, g4, k, g4);   // [R; W; b] as every step's GEMM reads it
        for (int s = 0; s < t; s++) {   // the x | 1 columns of every row, and h0 in the rows of step 0
            for (int row = 0; row < b; row++) {
                int dst = (s * b + row) * k;
                if (s == 0) System.arraycopy(h0, ho + row * u, hx, dst, u);
                System.arraycopy(x, xo + (row * t + s) * f, hx, dst + u, f);
                hx[dst + u + f] = 1f;
            }
        }
        LstmRows body = LSTM_ROWS.get();   // reused: no capturing lambda a call
        body.forward(t, b, f, u, keep, hx, cs, gates, last, seq, packed, c0, co);
        try {
            body.runOver(b, (long) t * b * g4 * k);
        } finally {
            body.clear();
        }
    }

    /**
     * One row of gates: activates z in place, c = f ⊙ c_prev + i ⊙ g into cOut, h = o ⊙ tanh(c) into hOut. The
     * transcendentals go through FastMath's array loops, one function per call: C2 stops inlining Vector API code
     * into a method after a node budget, and a vector that crosses a call it did not inline is boxed on the heap,
     * so several exp/tanh bodies in one loop would fall off the intrinsics.
     *
     * <p>For the same reason each FastMath function has one call site here, run twice by a two-pass loop: C2
     * inlines an array function (and its exp) at every site, and with four sites (σ on i‖f, tanh on g, σ on o, tanh
     * on c) the method hit NodeCountInliningCutoff, so the last sites' vectors were boxed: ~88 KB a step in a
     * 16-unit LSTM classifier, for as long as it ran. Two sites stay well inside the budget.
     */
    private static void lstmCell(int u, float[] gates, int z, float[] cPrev, int cp, float[] cOut, int cq, float[] hOut, int hq) {
        for (int pass = 0; pass < 2; pass++) {                    // σ on i, f (2u contiguous), then on o
            int at = pass == 0 ? z : z + 3 * u;
            FastMath.sigmoid(gates, at, gates, at, pass == 0 ? 2 * u : u);
        }
        for (int pass = 0; pass < 2; pass++) {                    // tanh(g) in place; then c, and tanh(c) into hOut
            if (pass == 1) {
                int j = 0;
                for (int upper = S.loopBound(u); j < upper; j += VL) {
                    FloatVector i = FloatVector.fromArray(S, gates, z + j), f = FloatVector.fromArray(S, gates, z + u + j);
                    FloatVector g = FloatVector.fromArray(S, gates, z + 2 * u + j);
                    f.mul(FloatVector.fromArray(S, cPrev, cp + j)).add(i.mul(g)).intoArray(cOut, cq + j);
                }
                for (; j < u; j++) cOut[cq + j] = gates[z + u + j] * cPrev[cp + j] + gates[z + j] * gates[z + 2 * u + j];
            }
            FastMath.tanh(pass == 0 ? gates : cOut, pass == 0 ? z + 2 * u : cq, pass == 0 ? gates : hOut, pass == 0 ? z + 2 * u : hq, u);
        }
        int j = 0;                                                 // h = o ⊙ tanh(c)
        for (int upper = S.loopBound(u); j < upper; j += VL) {
            FloatVector.fromArray(S, gates, z + 3 * u + j).mul(FloatVector.fromArray(S, hOut, hq + j)).intoArray(hOut, hq + j);
        }
        for (; j < u; j++) hOut[hq + j] = gates[z + 3 * u + j] * hOut[hq + j];
    }

    /**
     * Backpropagation through time from what {@link #lstmForward} left in {@code hx}, {@code cs} and {@code gates}
     * (which it overwrites with dz) and the output gradients {@code dSeq} (T, B, 2U) and/or {@code dLast} (B, 2U)
     * (either may be null). Fills dx (B, T, F), dW (F, 4U), dBias (4U), dR (U, 4U), dh0 and dc0 (B, U), all
     * overwritten. {@code hxT} is scratch of T·B·K floats: hx transposed, (K, T·B), written row block by row block
     * while the loop has them in cache, so the weight-gradient GEMM reads its A operand along rows (about a third
     * faster than {@link Gemm}'s transposed-A path on this shape).
     */
    public static void lstmBackward(int t, int b, int f, int u, float[] w, int wo, float[] r, int ro, float[] c0, int co, float[] keep,
                                    float[] hx, float[] cs, float[] gates, float[] hxT, float[] dSeq, float[] dLast,
                                    float[] dx, float[] dW, float[] dBias, float[] dR, float[] dh0, float[] dc0) {
        int g4 = 4 * u, k = lstmRowWidth(f, u);
        // [R; W]ᵀ (4U, N), N = U + F rounded up to whole GEMM column tiles (zero columns) so no ragged edge tile runs
        int n = ((u + f + Gemm.NR - 1) / Gemm.NR) * Gemm.NR;
        Scratch sc = SCRATCH.get();
        float[] rw = atLeast(sc.rw, n * g4);   // [R; W; 0] (N, 4U): whole rows copied, transposed by the packing
        sc.rw = retain(sc.rw, rw);
        System.arraycopy(r, ro, rw, 0, u * g4);
        System.arraycopy(w, wo, rw, u * g4, f * g4);
        java.util.Arrays.fill(rw, (u + f) * g4, n * g4, 0f);   // the padding rows (a reused array is not zero)
        float[] packed = packOnce(true, rw, 0, g4, g4, n);   // [R; W]ᵀ as every step's GEMM reads it
        // per row: dh carried to the previous step | dx of this step; the GEMM writes whole rows, the dh part of the
        // first step is set below
        float[] dhx = atLeast(sc.dhx, b * n);
        sc.dhx = retain(sc.dhx, dhx);
        float[] dhTotal = keep == null ? null : atLeast(sc.dhTotal, b * u);   // written before read, per padded row
        if (dhTotal != null) sc.dhTotal = retain(sc.dhTotal, dhTotal);
        LstmRows body = LSTM_ROWS.get();
        body.backward(t, b, f, u, keep, hx, cs, gates, hxT, dSeq, dLast, dx, dh0, dc0, packed, dhx, dhTotal, n, c0, co);
        try {
            body.runOver(b, (long) t * b * g4 * n);
        } finally {
            body.clear();
        }
        // [dR; dW; dBias] = hxᵀ · dz over all steps and rows: one GEMM
        float[] dAll = atLeast(sc.stacked, k * g4);   // overwritten whole by the GEMM; forward's [R; W; b] is dead
        sc.stacked = retain(sc.stacked, dAll);
        Gemm.gemm(false, false, k, g4, t * b, hxT, 0, t * b, gates, 0, g4, dAll, 0, g4, false);
        System.arraycopy(dAll, 0, dR, 0, u * g4);
        System.arraycopy(dAll, u * g4, dW, 0, f * g4);
        System.arraycopy(dAll, (u + f) * g4, dBias, 0, g4);
    }

    /**
     * One row of BPTT: from the carried dh ({@code dh} at {@code hq}) and dc ({@code dc} at {@code cq}) plus this
     * step's output gradient, overwrites the row's gates with dz and dc with the gradient of c_{s-1}. {@code tanhC}
     * holds tanh(c_s) of the row (from FastMath's array loop, for the reason given at {@link #lstmCell}).
     */
    private static void lstmCellBackward(int u, float[] gates, int z, float[] cPrev, int cp, float[] tanhC, float[] dSeq, int dq,
                                         float[] dh, int hq, float[] dc, int cq) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int j = 0;
        for (int upper = S.loopBound(u); j < upper; j += VL) {
            FloatVector dht = FloatVector.fromArray(S, dh, hq + j), dct = FloatVector.fromArray(S, dc, cq + j);
            if (dSeq != null) {
                dht = dht.add(FloatVector.fromArray(S, dSeq, dq + j));
                dct = dct.add(FloatVector.fromArray(S, dSeq, dq + u + j));
            }
            FloatVector i = FloatVector.fromArray(S, gates, z + j), f = FloatVector.fromArray(S, gates, z + u + j);
            FloatVector g = FloatVector.fromArray(S, gates, z + 2 * u + j), o = FloatVector.fromArray(S, gates, z + 3 * u + j);
            FloatVector tc = FloatVector.fromArray(S, tanhC, j);
            FloatVector dcc = dct.add(dht.mul(o).mul(one.sub(tc.mul(tc))));
            dcc.mul(g).mul(i).mul(one.sub(i)).intoArray(gates, z + j);
            dcc.mul(FloatVector.fromArray(S, cPrev, cp + j)).mul(f).mul(one.sub(f)).intoArray(gates, z + u + j);
            dcc.mul(i).mul(one.sub(g.mul(g))).intoArray(gates, z + 2 * u + j);
            dht.mul(tc).mul(o).mul(one.sub(o)).intoArray(gates, z + 3 * u + j);
            dcc.mul(f).intoArray(dc, cq + j);
        }
        for (; j < u; j++) {
            float dht = dh[hq + j], dct = dc[cq + j];
            if (dSeq != null) {
                dht = dht + dSeq[dq + j];
                dct = dct + dSeq[dq + u + j];
            }
            float i = gates[z + j], f = gates[z + u + j], g = gates[z + 2 * u + j], o = gates[z + 3 * u + j];
            float tc = tanhC[j];
            float dcc = dct + dht * o * (1 - tc * tc);
            gates[z + j] = dcc * g * i * (1 - i);
            gates[z + u + j] = dcc * cPrev[cp + j] * f * (1 - f);
            gates[z + 2 * u + j] = dcc * i * (1 - g * g);
            gates[z + 3 * u + j] = dht * tc * o * (1 - o);
            dc[cq + j] = dcc * f;
        }
    }

    /**
     * A whole GRU sequence (Cho et al. 2014; Keras's reset_after form, gates z, r, h̃), threaded as the LSTM (batch rows
     * per thread through the whole sequence):
     * hr = h·R + rb, z = σ(p_z + hr_z), r = σ(p_r + hr_r), h̃ = tanh(p_h + r ⊙ hr_h), h' = h̃ + z ⊙ (h − h̃).
     * {@code proj} (T, B, 3U), {@code r} (U, 3U), {@code rb} (3U), {@code h0} (B, U), {@code keep} as for the
     * LSTM; fills {@code out} (T, B, U) and {@code gates} (T, B, 4U): z, r, h̃ and hr_h (zero on padded rows).
     */
    public static void gruForward(int t, int b, int u, float[] proj, int po, float[] r, int ro, float[] rb, int rbo, float[] h0, int ho,
                                  float[] keep, float[] out, float[] gates) {
        int g3 = 3 * u, g4 = 4 * u;
        GruRows body = GRU_ROWS.get();   // batch rows per thread through the whole sequence, as the LSTM; no lambda
        body.forward(t, b, u, proj, po, r, ro, rb, rbo, h0, ho, keep, out, gates);
        try {
            body.runOver();
        } finally {
            body.clear();
        }
    }

    /**
     * The GRU's backpropagation through time: from {@code dOut} (T, B, U) fills {@code dProj} (T, B, 3U),
     * {@code dR} (U, 3U), {@code dRb} (3U) and {@code dh0} (B, U), all overwritten.
     */
    public static void gruBackward(int t, int b, int u, float[] r, int ro, float[] h0, int ho, float[] keep, float[] out, float[] gates,
                                   float[] dOut, float[] dProj, float[] dR, float[] dRb, float[] dh0) {
        int g3 = 3 * u, g4 = 4 * u;
        Scratch sc = SCRATCH.get();
        float[] dHr = atLeast(sc.dHr, t * b * g3);   // gradient of h·R + rb at every step; every row written below
        sc.dHr = retain(sc.dHr, dHr);
        float[] dh = dh0, direct = atLeast(sc.direct, b * u);   // written for every row of a step before it is read
        sc.direct = retain(sc.direct, direct);
        java.util.Arrays.fill(dh, 0, b * u, 0f);
        GruRows body = GRU_ROWS.get();
        body.backward(t, b, u, r, ro, h0, ho, keep, out, gates, dOut, dProj, dHr, dh, direct);
        try {
            body.runOver();
        } finally {
            body.clear();
        }
        if (t > 1) Gemm.gemm(true, false, u, g3, (t - 1) * b, out, 0, u, dHr, b * g3, g3, dR, 0, g3, false);
        Gemm.gemm(true, false, u, g3, b, h0, ho, u, dHr, 0, g3, dR, 0, g3, t > 1);
        java.util.Arrays.fill(dRb, 0, g3, 0f);
        for (int i = 0; i < t * b; i++) for (int q = 0; q < g3; q++) dRb[q] += dHr[i * g3 + q];
    }
}
