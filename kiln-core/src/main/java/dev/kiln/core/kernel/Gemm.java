package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 matrix multiply C = op(A)·op(B) (+C), row-major, with the transposed variants training needs.
 * Twin: {@link ScalarKernels#gemm}; the arguments mean the same as there.
 *
 * <p>Structure (Goto &amp; van de Geijn 2008, "Anatomy of high-performance matrix multiplication"): K is cut
 * into blocks of {@link #KC} so a B panel stays in L1/L2 while M is swept in blocks of {@link #MC} rows; the
 * micro-kernel keeps an {@link #MR}×{@link #NR} tile of C in registers ({@code MR·NR/VL} vector accumulators,
 * NR = two vectors of the preferred species, so 12 accumulators on AVX-512 and on AVX2 alike) and streams
 * K past it with one broadcast of A and two vector loads of B per step.
 *
 * <p>op(A) is never copied: the micro-kernel reads A(i, p) at {@code i·ars + p·acs}, which covers A and Aᵀ
 * (a transposed A is even contiguous along the tile's rows). op(B) is packed, a K block at a time, into NR-wide
 * panels (see {@link #blocked} for when; a transposed B always, because vector loads need B contiguous along j)
 * — unless M is small enough beside N and K that packing A instead pays ({@link #columnsPay}): then
 * {@link GemmColumns}' tile, vectorised along M, reads Bᵀ in place. Ragged edges: rows past M re-read the last
 * valid row and are not stored; a last column tile narrower than NR runs on zero-padded copies (no masks). A C of
 * at most {@link #NARROW} columns from a stored-transposed A (the 10-class head's dW) takes {@link #narrowCols}, a
 * tile vectorised along M that reads Aᵀ in place; from an untransposed A (the head's forward), {@link GemmNarrow}.
 *
 * <p>Both cores: the larger of the two tile grids (rows of C, or columns of C for wide, short products such as
 * 32×784·784×128's backward) is split across {@link Parallel}; every C element is summed in the same K order
 * (one FMA chain, p = 0…K−1) whatever the split and whichever tile computes it, so results are identical for any
 * thread count, batch size or layout of the operands (GemmPathsTest checks the bits). {@link GemmNarrow} sums in
 * eight chains and a fixed tree instead: its products too are the same for any thread count, batch size or layout of
 * B, but differ in the last bits from the same product with A stored transposed.
 *
 * <p>One vector species, the preferred one, in every kernel: 256-bit tiles for the 10-column head (beside the 512-bit
 * ones) made the JDK's shared FloatVector methods see two vector classes, and C2 then stopped intrinsifying other
 * kernels' vector code: the CNN's convolutions boxed every vector, 20 MB a step and 14% slower.
 *
 * <p>Backend: {@code -Dkiln.blas=java|auto|openblas}, read once when this class loads. {@code java} (the default)
 * never touches native code; {@code auto} sends products to the system's OpenBLAS ({@link OpenBlas}) when it is
 * installed and keeps tiny ones on the Java kernel; {@code openblas} sends every product to OpenBLAS and makes each
 * call fail with the reason when it is missing. An OpenBLAS product runs on the caller's thread as one call
 * (OpenBLAS splits it over its own threads, sized to {@link Parallel#THREADS}), never also split here.
 *
 * <p>Why OpenBLAS is opt-in: its results differ from the Java kernel's in the last bits, and — unlike the Java
 * kernel, which sums every C element in the same K order whatever M is — OpenBLAS rounds a row differently
 * depending on how many rows share the call (1×784·784×128 against the same row inside a 32-row product: ~360 of
 * 384 elements differ in the last bit). A prediction would then depend on what it was batched with, and a run on a
 * machine with OpenBLAS would not reproduce one without it bit for bit.
 */
public final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /** Micro-tile: MR rows × NR columns of C held in registers. */
    static final int MR = 6;
    static final int NR = 2 * VL;
    /** K block: a KC×NR B panel (32 KiB with AVX-512) stays in L1/L2 across the rows of an M block. */
    static final int KC = 256;
    /** M block: MC rows of A over one K block (MC·KC floats, 96 KiB) stay in L2 across the column tiles. */
    static final int MC = 96;
    /** A C this narrow or narrower from a transposed A takes {@link #narrowCols}' tile: twenty accumulators, ten columns. */
    static final int NARROW = 10;
    /** Below this many multiply-adds a second thread costs more than it saves. */
    static final long PARALLEL_WORK = 1L << 18;
    /**
     * While the JIT compiler is at work ({@link Parallel#compilerBusy}), a product splits only from this many
     * multiply-adds (8M). The MLP's batch-32 products (32×784·784×128 and its dW, 3.2M) then stay on one thread
     * during warm-up: over steps 300–3,300 the MLP trained at a median 97k samples/s instead of 89k ({@code bench/ab},
     * six alternated rounds), while batch 128's (12.8M), which a second thread speeds up by a quarter, still split.
     */
    static final long PARALLEL_WORK_WHILE_COMPILING = 1L << 23;

    private Gemm() {}

    // ---------------------------------------------------------------- backend choice (kiln.blas)

    /**
     * OpenBLAS takes a product in {@code auto} mode from this many multiply-adds (m·n·k) up; below it (4×4×4) the
     * native call costs more than the product and the Java kernel is faster. Measured per core (thread CPU time, one
     * thread, so the shared machine's load does not decide it): from 8×8×8 up the Java kernel is 0.9–1.15× OpenBLAS
     * on square and plain skinny products, while OpenBLAS is 1.4–3.5× faster on the shapes the Java tile wastes work
     * on — A·Bᵀ (Bᵀ is packed per call), N below the tile's 2·VL columns (the MLP's 128→10 head), a single row
     * (one-sample inference) — and MLP training as a whole ran faster on OpenBLAS. So one size threshold rather than
     * a per-shape table tied to the Java tile's current weak spots; see BENCHMARKS.md's GEMM section.
     */
    static final long BLAS_MIN_WORK = 512;

    private static final Choice CHOICE = choose(System.getProperty("kiln.blas", "java"),
            Gemm.class.getModule().isNativeAccessEnabled(), OpenBlas::system, OpenBlas::systemSearch);

    /**
     * The chosen backend: {@code blas} null means the Java kernel; {@code always} sends every product OpenBLAS
     * accepts to it ({@code kiln.blas=openblas}), otherwise only those of {@link #BLAS_MIN_WORK} or more;
     * {@code error} non-null means {@code kiln.blas=openblas} could not be honoured and every call says why.
     */
    record Choice(OpenBlas blas, boolean always, String description, String error) {
        boolean takes(boolean ta, boolean tb, int m, int n, int k, int lda, int ldb, int ldc) {
            // Inside a pool worker (a kernel that already split its work) OpenBLAS's threads would compete with
            // Kiln's: the Java kernel then runs inline on that worker instead.
            return k > 0 && (always || (long) m * n * k >= BLAS_MIN_WORK)
                    && !java.util.concurrent.ForkJoinTask.inForkJoinPool()
                    && OpenBlas.accepts(ta, tb, m, n, k, lda, ldb, ldc);
        }

        /** {@link Gemm#gemm} under this choice. */
        void gemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                  float[] c, int co, int ldc, boolean accumulate) {
            if (blas != null && takes(ta, tb, m, n, k, lda, ldb, ldc)) {
                blas.sgemm(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
            } else if (error != null) {
                throw new IllegalStateException(error);
            } else {
                gemmJava(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
            }
        }
    }

    /**
     * {@code kiln.blas}: java, auto (OpenBLAS if found, else Java), or openblas (an error on every call if missing).
     * Auto does not touch native code unless the JVM enabled native access for Kiln
     * ({@code --enable-native-access=ALL-UNNAMED}, which the launcher, the tests and the bench scripts pass), so a
     * plain {@code java -cp ...} run neither loads OpenBLAS nor prints the JDK's restricted-method warning.
     */
    static Choice choose(String mode, boolean nativeAccess, java.util.function.Supplier<java.util.Optional<OpenBlas>> find,
                         java.util.function.Supplier<String> search) {
        switch (mode.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "java":
                return new Choice(null, false, "java (kiln.blas=auto or openblas for OpenBLAS)", null);
            case "auto": {
                if (!nativeAccess) {
                    return new Choice(null, false, "java (kiln.blas=auto, OpenBLAS not tried: native access is not enabled;"
                            + " run java with --enable-native-access=ALL-UNNAMED)", null);
                }
                OpenBlas blas = find.get().orElse(null);
                return blas == null
                        ? new Choice(null, false, "java (kiln.blas=auto, no OpenBLAS: " + search.get() + ")", null)
                        : new Choice(blas, false, "openblas for products of " + BLAS_MIN_WORK + "+ multiply-adds, java below and inside Kiln's pool ("
                                + blas + ")", null);
            }
            case "openblas": {
                OpenBlas blas = find.get().orElse(null);
                return blas == null
                        ? new Choice(null, false, "none", "kiln.blas=openblas, but no usable libopenblas was found: " + search.get()
                                + ". To fix: " + OpenBlas.INSTALL_HINT + "; or run with -Dkiln.blas=auto (or java) to use the"
                                + " Java kernel")
                        : new Choice(blas, true, "openblas (" + blas + ")", null);
            }
            default:
                return new Choice(null, false, "none", "kiln.blas='" + mode + "' is not one of auto, java, openblas");
        }
    }

    /**
     * The backend in a word for INFO lines: "java", or "openblas" (in auto mode small products still run in Java,
     * see {@link #backendDetail()}).
     *
     * @throws IllegalStateException when {@code kiln.blas} names a missing library or an unknown mode
     */
    public static String backend() {
        if (CHOICE.error != null) throw new IllegalStateException(CHOICE.error);
        return CHOICE.blas == null ? "java" : "openblas";
    }

    /** The backend choice in a sentence: which products go where, and which library (or why none was used). */
    public static String backendDetail() {
        return CHOICE.error != null ? CHOICE.error : CHOICE.description;
    }

    /**
     * C = op(A)·op(B) (+ C when {@code accumulate}): on OpenBLAS where {@link #backend()} chose it for this shape,
     * else on the Java kernel ({@link #gemmJava}). Arguments as in {@link ScalarKernels#gemm}.
     */
    public static void gemm(boolean ta, boolean tb, int m, int n, int k,
                            float[] a, int ao, int lda, float[] b, int bo, int ldb,
                            float[] c, int co, int ldc, boolean accumulate) {
        CHOICE.gemm(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
    }

    /** The pure-Java kernel whatever {@code kiln.blas} says: the benchmark's and the OpenBLAS twin test's baseline. */
    public static void gemmJava(boolean ta, boolean tb, int m, int n, int k,
                                float[] a, int ao, int lda, float[] b, int bo, int ldb,
                                float[] c, int co, int ldc, boolean accumulate) {
        if (empty(m, n, k, c, co, ldc, accumulate)) return;
        if (tb && k == 1 && ldb == 1) {
            // A one-column B stored transposed (dY·Wᵀ for a W of one column) lies in memory as op(B)'s one row: read
            // it so, with nothing to transpose.
            tb = false;
            ldb = n;
        }
        if (GemmNarrow.takes(ta, n, k)) {
            GemmNarrow.gemm(tb, m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate, false);
            return;
        }
        if (tb && columnsPay(m, n, k)) {
            GemmColumns.gemm(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
            return;
        }
        long work = (long) m * n * k;
        if (GemmNarrow.ON && !ta && k <= GemmNarrow.SHORT_K && n >= GemmNarrow.WIDE && m >= 4 && !splits(work)) {
            // A short K (the head's dX: dY times Wᵀ, K = 10): the 64-wide tile on whole 4-row blocks, the rest (the last
            // m mod 4 rows, the last n mod 64 columns) on the row tile. The tile reads a row-major B in place; a
            // transposed one (dY·Wᵀ with W as it lies) is first transposed in registers into a K × cols scratch.
            int cols = n / GemmNarrow.WIDE * GemmNarrow.WIDE, rows = m / 4 * 4, bps = tb ? 1 : ldb, bjs = tb ? ldb : 1;
            if (tb) {
                Scratch s = SCRATCH.get();
                if (s.b.length < k * cols) s.b = new float[k * cols];
                for (int j = 0; j < cols; j += 2 * VL) GemmNarrow.packShortK(b, bo + j * ldb, ldb, k, s.b, j, cols, s.tile);
                GemmNarrow.shortK(m, cols, k, a, ao, lda, s.b, 0, cols, c, co, ldc, accumulate);
            } else {
                GemmNarrow.shortK(m, cols, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
            }
            if (rows < m) blocked(rows, m, 0, cols, k, a, ao, lda, 1, b, bo, bps, bjs, c, co, ldc, accumulate);
            if (cols < n) blocked(0, m, cols, n, k, a, ao, lda, 1, b, bo, bps, bjs, c, co, ldc, accumulate);
            return;
        }
        int ars = ta ? 1 : lda;  // step between rows i of op(A)
        int acs = ta ? lda : 1;  // step between columns p of op(A)
        int bps = tb ? 1 : ldb;  // step between rows p of op(B)
        int bjs = tb ? ldb : 1;  // step between columns j of op(B)
        int rowTiles = (m + MR - 1) / MR, colTiles = (n + NR - 1) / NR;
        if (VL == 16 && ta && !tb && n <= NARROW && m >= 2 * VL && !splits(work)) {
            // A narrow C from a stored-transposed A (the head's dW = Hᵀ·dY): the column tile, A read in place, for
            // whole blocks of 2·VL rows; the row tile for the last m mod 2·VL. Single-threaded products only (a head
            // product is far below PARALLEL_WORK).
            float[] buf = SCRATCH.get().tile;
            int mh = m / (2 * VL) * (2 * VL);
            for (int i = 0; i < mh; i += 2 * VL) narrowCols(n, k, a, ao + i, lda, b, bo, ldb, c, co + i * ldc, ldc, accumulate, buf);
            if (mh < m) blocked(mh, m, 0, n, k, a, ao, ars, acs, b, bo, bps, bjs, c, co, ldc, accumulate);
            return;
        }
        if (!splits(work)) {
            blocked(0, m, 0, n, k, a, ao, ars, acs, b, bo, bps, bjs, c, co, ldc, accumulate);
            return;
        }
        // Each thread packs the B panels it uses. Split by rows, every thread reads and packs all of B (k·n) and its
        // share of A; by columns, all of A (m·k) and its share of B. So columns when C is wider than tall and there is
        // a column tile for each thread: 32×784·784×128 had each thread pack the whole 784×128 B for its 16 rows.
        boolean byRows = n <= m || colTiles < Parallel.THREADS;
        split(false, byRows, rowTiles, colTiles, m, n, k, a, ao, ars, acs, b, bo, bps, bjs, c, co, ldc, accumulate);
    }

    /** Whether a product of {@code work} multiply-adds goes over the pool now; asks about the compiler only if it matters. */
    static boolean splits(long work) {
        boolean asks = Parallel.THREADS > 1 && work >= PARALLEL_WORK && work < PARALLEL_WORK_WHILE_COMPILING;
        return splits(work, Parallel.THREADS, asks && Parallel.compilerBusy());
    }

    static boolean splits(long work, int threads, boolean compilerBusy) {
        return threads > 1 && work >= (compilerBusy ? PARALLEL_WORK_WHILE_COMPILING : PARALLEL_WORK);
    }

    /**
     * Runs one product over the pool, split by rows of C ({@code byRows}, over its row tiles) or by columns (over its
     * column tiles). {@code columnTile} picks {@link GemmColumns}' tile, whose {@code a} is its packed panels (ao, ars
     * and acs unused), over the row tile.
     */
    static void split(boolean columnTile, boolean byRows, int rowTiles, int colTiles, int m, int n, int k, float[] a, int ao, int ars,
                      int acs, float[] b, int bo, int bps, int bjs, float[] c, int co, int ldc, boolean accumulate) {
        Split split = SCRATCH.get().split;
        split.set(columnTile, byRows, m, n, k, a, ao, ars, acs, b, bo, bps, bjs, c, co, ldc, accumulate);
        try {
            Parallel.forRange(split.byRows ? rowTiles : colTiles, 1, split);
        } finally {
            split.clear();
        }
    }

    /**
     * The split of one product as a reusable body (one per calling thread, in its {@link Scratch}) rather than a lambda
     * capturing fifteen values, which would be a fresh object on every call of a training step.
     */
    private static final class Split implements Parallel.RangeBody {
        boolean columnTile, byRows, accumulate;
        int m, n, k, ao, ars, acs, bo, bps, bjs, co, ldc;
        float[] a, b, c;

        void set(boolean columnTile, boolean byRows, int m, int n, int k, float[] a, int ao, int ars, int acs, float[] b,
                 int bo, int bps, int bjs, float[] c, int co, int ldc, boolean accumulate) {
            this.columnTile = columnTile;
            this.byRows = byRows;
            this.m = m; this.n = n; this.k = k;
            this.a = a; this.ao = ao; this.ars = ars; this.acs = acs;
            this.b = b; this.bo = bo; this.bps = bps; this.bjs = bjs;
            this.c = c; this.co = co; this.ldc = ldc; this.accumulate = accumulate;
        }

        /** Drops the operands so an idle thread's scratch keeps no model's arrays alive. */
        void clear() {
            a = b = c = null;
        }

        @Override
        public void run(int t0, int t1) {
            if (columnTile) {
                int nj = GemmColumns.NJ;
                if (byRows) GemmColumns.tiles(t0, t1, 0, n, m, k, a, b, bo, bps, bjs, c, co, ldc, accumulate);
                else GemmColumns.tiles(0, (m + GemmColumns.MW - 1) / GemmColumns.MW, t0 * nj, Math.min(n, t1 * nj), m, k, a,
                        b, bo, bps, bjs, c, co, ldc, accumulate);
            } else if (byRows) {
                blocked(t0 * MR, Math.min(m, t1 * MR), 0, n, k, a, ao, ars, acs, b, bo, bps, bjs, c, co, ldc, accumulate);
            } else {
                blocked(0, m, t0 * NR, Math.min(n, t1 * NR), k, a, ao, ars, acs, b, bo, bps, bjs, c, co, ldc, accumulate);
            }
        }
    }

    /**
     * Whether A·Bᵀ should take {@link GemmColumns}' tile (pack A, M×K) rather than the row tile (pack Bᵀ, K×N). Per
     * multiply-add, packing Bᵀ costs ~1/M of the product and packing A ~1/N, while the column tile's scratch copy of
     * each C tile costs ~0.8/K (measured, one core: 32×128·784×128ᵀ 37 → 87 GFLOP/s on the column tile, but
     * 256×64·256×64ᵀ 83 → 63); so the column tile when 1/N + 0.83/K &lt; 1/M, i.e. 6·K·(N − M) &gt; 5·M·N.
     */
    static boolean columnsPay(int m, int n, int k) {
        return 6L * k * (n - m) > 5L * m * n;
    }

    /**
     * Per-thread scratch: packed panels, the ragged edge's C tile and the split body, grown as needed and kept, so a
     * product allocates nothing once warmed up.
     */
    private static final class Scratch {
        float[] b = new float[0];
        // narrowCols' C tile and its transposes' vectors, or GemmNarrow.packShortK's scratch
        final float[] tile = new float[Math.max(MR * NR, Math.max(GemmNarrow.COLUMN_TILE_BUF, GemmNarrow.SHORT_K_TMP))];
        final Split split = new Split();
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Pack op(B) when a thread's share has at least this many rows: the copy is ~1/rows of the product's memory traffic,
     * while a single row (one-sample inference) would pay as much for it as for the product.
     */
    static final int PACK_B_ROWS = 2 * MR;

    /**
     * C[i0:i1, j0:j1] over all of K, blocked KC × MC, tiles MR × NR; op(B)(p, j) at {@code bo + p·bps + j·bjs}.
     * Each K block of op(B) is copied into NR-wide panels ({@link #packB}) when B is transposed, and when at least
     * {@link #PACK_B_ROWS} rows reuse each panel: read in place, a panel of a 1024-wide B
     * walks 256 rows 4 KiB apart, all in the same L1 sets and each on its own page, and a panel's fixed row stride lets
     * {@link #microUnit} drop the per-load bounds checks (per core, 1024³ went from 78 to 98 GFLOP/s and 32×784·784×128
     * from 62 to 85). A is read in place: packing it cost more than it saved at every size measured (256³: 112 → 97).
     */
    private static void blocked(int i0, int i1, int j0, int j1, int k, float[] a, int ao, int ars, int acs,
                                float[] b, int bo, int bps, int bjs, float[] c, int co, int ldc, boolean accumulate) {
        blocked(i0, i1, j0, j1, k, a, ao, ars, acs, b, bo, bps, bjs, null, c, co, ldc, accumulate);
    }

    /** {@link #blocked} with op(B) already packed whole by {@link #pack} when {@code prepacked} is not null (then j0 = 0). */
    private static void blocked(int i0, int i1, int j0, int j1, int k, float[] a, int ao, int ars, int acs,
                                float[] b, int bo, int bps, int bjs, float[] prepacked, float[] c, int co, int ldc,
                                boolean accumulate) {
        Scratch s = SCRATCH.get();
        int cols = j1 - j0, colTiles = (cols + NR - 1) / NR;
        boolean packB = prepacked != null || bjs != 1 || (i1 - i0 >= PACK_B_ROWS && cols >= NR);
        if (packB && prepacked == null && s.b.length < colTiles * NR * KC) s.b = new float[colTiles * NR * KC];
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            boolean load = accumulate || p0 > 0;
            if (packB && prepacked == null) packB(b, bo + p0 * bps + j0 * bjs, bps, bjs, kc, cols, s.b, 0);
            for (int ib = i0; ib < i1; ib += MC) {
                int ie = Math.min(i1, ib + MC);
                for (int j = j0, jt = 0; j < j1; j += NR, jt++) {
                    int w = Math.min(NR, j1 - j);
                    // A ragged last column tile (all of C when N < NR, e.g. a 10-class head) runs the same unmasked
                    // tiles on a zero-padded copy of its B panel and of each C tile: masked loads and stores made
                    // the tile too big for C1 ("out of virtual registers"), leaving it unoptimised for seconds.
                    int width = w == NR ? NR : w <= VL ? VL : NR;
                    float[] pb;
                    int bp, ldb;
                    if (packB) {
                        pb = prepacked != null ? prepacked : s.b;
                        bp = (prepacked != null ? colTiles * NR * p0 : 0) + jt * NR * kc;
                        ldb = width;
                    } else if (w == NR) {
                        pb = b;
                        bp = bo + p0 * bps + j;
                        ldb = bps;
                    } else {
                        if (s.b.length < width * kc) s.b = new float[width * kc];
                        pb = s.b;
                        bp = 0;
                        ldb = width;
                        padPanel(b, bo + p0 * bps + j, bps, kc, w, width, pb);
                    }
                    // One vector wide, a tile takes 2·MR rows: twelve independent FMA chains rather than six.
                    int step = width == VL ? 2 * MR : MR;
                    boolean unit = w == NR && acs == 1 && ldb == NR;
                    for (int i = ib, rows; i < ie; i += rows) {
                        int left = ie - i;
                        rows = Math.min(step, left);
                        // An MR-row tile does all MR rows' work whatever it stores, so a remainder of 1–4 rows, or
                        // 7–8 (as 4 + 3–4), runs on 4-row tiles: 32 rows were 6·5 + 2, 36 rows' work for 32.
                        if (unit && (left <= 4 || left == 7 || left == 8)) rows = 4;
                        rows = Math.min(rows, left);
                        int ap = ao + i * ars + p0 * acs, cp = co + i * ldc + j;
                        if (unit && rows <= 4) microUnit4(kc, rows, a, ap, ars, pb, bp, c, cp, ldc, load);
                        else if (unit) microUnit(kc, rows, a, ap, ars, pb, bp, c, cp, ldc, load);
                        else if (w == NR) micro(kc, rows, a, ap, ars, acs, pb, bp, ldb, c, cp, ldc, load);
                        else microEdge(kc, rows, w, width, a, ap, ars, acs, pb, bp, c, cp, ldc, load, s.tile);
                    }
                }
            }
        }
    }

    /**
     * op(B)[0:kc, 0:cols] (element (p, j) at {@code bp + p·bps + j·bjs}) into NR-wide panels, K-major: panel t holds
     * columns t·NR… at {@code t·NR·kc + p·width + j}, where width is NR, or VL for a last panel of VL columns or
     * fewer; columns past {@code cols} are zero.
     */
    private static void packB(float[] b, int bp, int bps, int bjs, int kc, int cols, float[] dst, int off) {
        int full = bjs == 1 ? cols / NR : 0;
        if (full > 0) {
            // Whole panels of a row-major op(B): each source row is read once, front to back, and lands as two
            // vectors in each panel (System.arraycopy of 32 floats per row and panel cost a call each).
            for (int p = 0; p < kc; p++) {
                int src = bp + p * bps;
                for (int t = 0, d = off + p * NR; t < full; t++, src += NR, d += NR * kc) {
                    FloatVector.fromArray(S, b, src).intoArray(dst, d);
                    FloatVector.fromArray(S, b, src + VL).intoArray(dst, d + VL);
                }
            }
        }
        for (int j = full * NR, t = full; j < cols; j += NR, t++) {
            int w = Math.min(NR, cols - j), width = w == NR ? NR : w <= VL ? VL : NR, base = off + t * NR * kc;
            if (w < width) java.util.Arrays.fill(dst, base, base + kc * width, 0f);   // the padding columns, once
            if (bjs == 1) {
                for (int p = 0; p < kc; p++) System.arraycopy(b, bp + p * bps + j, dst, base + p * width, w);
            } else if (GemmNarrow.ON && w == NR && bps == 1 && kc <= VL) {
                // op(B) = Bᵀ with a short K (the head's dX, K = 10): transposed in registers.
                GemmNarrow.packShortK(b, bp + j * bjs, bjs, kc, dst, base, NR, SCRATCH.get().tile);
            } else {
                // op(B) = Bᵀ: element (p, j) is B's row j, column p. Row p of the panel at a time, so each inner loop
                // runs w iterations and writes front to back; column by column, the head's dX = dY·Wᵀ (K = 10) ran
                // 10-iteration loops (32×10·128×10ᵀ per core, one call: 2.26 → 1.74 µs; a vgatherdps per vector
                // measured the same). Products with K in the hundreds time the same either way.
                for (int p = 0, d = base; p < kc; p++, d += width) {
                    int src = bp + j * bjs + p * bps;
                    for (int jj = 0; jj < w; jj++) dst[d + jj] = b[src + jj * bjs];
                }
            }
        }
    }

    /** Floats {@link #pack} writes for a k × n op(B). */
    static int packedSize(int k, int n) {
        if (GemmNarrow.takes(false, n, k)) return GemmNarrow.packedSize(k);
        return (n + NR - 1) / NR * NR * k;
    }

    /**
     * op(B) (k × n; B row-major with row stride ldb, transposed when {@code tb}) packed into {@code dst} as
     * {@link #blocked} packs each K block of it, all blocks one after another, for a product repeated with the same B:
     * a recurrent layer multiplies by its recurrent weights once per time step, and packed them again at every step
     * (the LSTM classifier trains ~2% faster without).
     */
    static void pack(boolean tb, float[] b, int bo, int ldb, int k, int n, float[] dst) {
        if (GemmNarrow.takes(false, n, k)) {
            GemmNarrow.pack(tb, b, bo, ldb, k, n, dst);
            return;
        }
        int colTiles = (n + NR - 1) / NR, bps = tb ? 1 : ldb, bjs = tb ? ldb : 1;
        for (int p0 = 0; p0 < k; p0 += KC) packB(b, bo + p0 * bps, bps, bjs, Math.min(KC, k - p0), n, dst, colTiles * NR * p0);
    }

    /**
     * {@link #gemmSerial} (no transposes) with op(B) given packed by {@link #pack}: the same tiles on the same panels,
     * so the same bits as multiplying by B itself.
     */
    static void gemmSerialPacked(int m, int n, int k, float[] a, int ao, int lda, float[] packed, float[] c, int co, int ldc,
                                 boolean accumulate) {
        if (empty(m, n, k, c, co, ldc, accumulate)) return;
        if (GemmNarrow.takes(false, n, k)) GemmNarrow.rows(0, m, n, k, a, ao, lda, packed, c, co, ldc, accumulate, GemmNarrow.buf());
        else blocked(0, m, 0, n, k, a, ao, lda, 1, null, 0, 0, 1, packed, c, co, ldc, accumulate);
    }

    /** True for a product with no rows, columns or K; then C's m × n block is zeroed unless accumulating. */
    private static boolean empty(int m, int n, int k, float[] c, int co, int ldc, boolean accumulate) {
        if (m != 0 && n != 0 && k != 0) return false;
        if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, co + i * ldc, co + i * ldc + n, 0f);
        return true;
    }

    /**
     * The register tile: C[0:rows, 0:NR] (+)= Σ_p A(r, p)·B(p, 0:NR). Rows past {@code rows} repeat the last
     * valid row of A (no out-of-bounds reads) and are not stored.
     */
    private static void micro(int kc, int rows, float[] a, int ap, int ars, int acs, float[] b, int bp, int ldb,
                              float[] c, int cp, int ldc, boolean load) {
        int a0 = ap, a1 = ap + Math.min(1, rows - 1) * ars, a2 = ap + Math.min(2, rows - 1) * ars;
        int a3 = ap + Math.min(3, rows - 1) * ars, a4 = ap + Math.min(4, rows - 1) * ars, a5 = ap + Math.min(5, rows - 1) * ars;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(S);
        if (load) {
            c00 = FloatVector.fromArray(S, c, cp); c01 = FloatVector.fromArray(S, c, cp + VL);
            if (rows > 1) { c10 = FloatVector.fromArray(S, c, cp + ldc); c11 = FloatVector.fromArray(S, c, cp + ldc + VL); }
            if (rows > 2) { c20 = FloatVector.fromArray(S, c, cp + 2 * ldc); c21 = FloatVector.fromArray(S, c, cp + 2 * ldc + VL); }
            if (rows > 3) { c30 = FloatVector.fromArray(S, c, cp + 3 * ldc); c31 = FloatVector.fromArray(S, c, cp + 3 * ldc + VL); }
            if (rows > 4) { c40 = FloatVector.fromArray(S, c, cp + 4 * ldc); c41 = FloatVector.fromArray(S, c, cp + 4 * ldc + VL); }
            if (rows > 5) { c50 = FloatVector.fromArray(S, c, cp + 5 * ldc); c51 = FloatVector.fromArray(S, c, cp + 5 * ldc + VL); }
        }
        for (int p = 0, pa = 0, pb = bp; p < kc; p++, pa += acs, pb += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, pb);
            FloatVector b1 = FloatVector.fromArray(S, b, pb + VL);
            FloatVector x = FloatVector.broadcast(S, a[a0 + pa]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + pa]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + pa]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + pa]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + pa]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + pa]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.intoArray(c, cp); c01.intoArray(c, cp + VL);
        if (rows > 1) { c10.intoArray(c, cp + ldc); c11.intoArray(c, cp + ldc + VL); }
        if (rows > 2) { c20.intoArray(c, cp + 2 * ldc); c21.intoArray(c, cp + 2 * ldc + VL); }
        if (rows > 3) { c30.intoArray(c, cp + 3 * ldc); c31.intoArray(c, cp + 3 * ldc + VL); }
        if (rows > 4) { c40.intoArray(c, cp + 4 * ldc); c41.intoArray(c, cp + 4 * ldc + VL); }
        if (rows > 5) { c50.intoArray(c, cp + 5 * ldc); c51.intoArray(c, cp + 5 * ldc + VL); }
    }

    /**
     * {@link #micro} for the common layout — A's row contiguous along p (acs = 1) and B packed (row stride NR) — written
     * so every index is the loop counter plus an invariant: C2 then checks the arrays' bounds once before the loop
     * instead of on each of the eight loads per step.
     */
    private static void microUnit(int kc, int rows, float[] a, int ap, int ars, float[] b, int bp,
                                  float[] c, int cp, int ldc, boolean load) {
        int a0 = ap, a1 = ap + Math.min(1, rows - 1) * ars, a2 = ap + Math.min(2, rows - 1) * ars;
        int a3 = ap + Math.min(3, rows - 1) * ars, a4 = ap + Math.min(4, rows - 1) * ars, a5 = ap + Math.min(5, rows - 1) * ars;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(S);
        if (load) {
            c00 = FloatVector.fromArray(S, c, cp); c01 = FloatVector.fromArray(S, c, cp + VL);
            if (rows > 1) { c10 = FloatVector.fromArray(S, c, cp + ldc); c11 = FloatVector.fromArray(S, c, cp + ldc + VL); }
            if (rows > 2) { c20 = FloatVector.fromArray(S, c, cp + 2 * ldc); c21 = FloatVector.fromArray(S, c, cp + 2 * ldc + VL); }
            if (rows > 3) { c30 = FloatVector.fromArray(S, c, cp + 3 * ldc); c31 = FloatVector.fromArray(S, c, cp + 3 * ldc + VL); }
            if (rows > 4) { c40 = FloatVector.fromArray(S, c, cp + 4 * ldc); c41 = FloatVector.fromArray(S, c, cp + 4 * ldc + VL); }
            if (rows > 5) { c50 = FloatVector.fromArray(S, c, cp + 5 * ldc); c51 = FloatVector.fromArray(S, c, cp + 5 * ldc + VL); }
        }
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp + p * NR);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + p * NR + VL);
            FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + p]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + p]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + p]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.intoArray(c, cp); c01.intoArray(c, cp + VL);
        if (rows > 1) { c10.intoArray(c, cp + ldc); c11.intoArray(c, cp + ldc + VL); }
        if (rows > 2) { c20.intoArray(c, cp + 2 * ldc); c21.intoArray(c, cp + 2 * ldc + VL); }
        if (rows > 3) { c30.intoArray(c, cp + 3 * ldc); c31.intoArray(c, cp + 3 * ldc + VL); }
        if (rows > 4) { c40.intoArray(c, cp + 4 * ldc); c41.intoArray(c, cp + 4 * ldc + VL); }
        if (rows > 5) { c50.intoArray(c, cp + 5 * ldc); c51.intoArray(c, cp + 5 * ldc + VL); }
    }

    /** {@link #microUnit} four rows tall (eight accumulators) for a remainder of rows: the same FMA chain per element. */
    private static void microUnit4(int kc, int rows, float[] a, int ap, int ars, float[] b, int bp,
                                   float[] c, int cp, int ldc, boolean load) {
        int a0 = ap, a1 = ap + Math.min(1, rows - 1) * ars, a2 = ap + Math.min(2, rows - 1) * ars, a3 = ap + Math.min(3, rows - 1) * ars;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = FloatVector.zero(S);
        if (load) {
            c00 = FloatVector.fromArray(S, c, cp); c01 = FloatVector.fromArray(S, c, cp + VL);
            if (rows > 1) { c10 = FloatVector.fromArray(S, c, cp + ldc); c11 = FloatVector.fromArray(S, c, cp + ldc + VL); }
            if (rows > 2) { c20 = FloatVector.fromArray(S, c, cp + 2 * ldc); c21 = FloatVector.fromArray(S, c, cp + 2 * ldc + VL); }
            if (rows > 3) { c30 = FloatVector.fromArray(S, c, cp + 3 * ldc); c31 = FloatVector.fromArray(S, c, cp + 3 * ldc + VL); }
        }
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp + p * NR);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + p * NR + VL);
            FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + p]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        c00.intoArray(c, cp); c01.intoArray(c, cp + VL);
        if (rows > 1) { c10.intoArray(c, cp + ldc); c11.intoArray(c, cp + ldc + VL); }
        if (rows > 2) { c20.intoArray(c, cp + 2 * ldc); c21.intoArray(c, cp + 2 * ldc + VL); }
        if (rows > 3) { c30.intoArray(c, cp + 3 * ldc); c31.intoArray(c, cp + 3 * ldc + VL); }
    }

    /**
     * B[0:kc, 0:w] (row stride ldb) copied into a kc×width scratch. Rows are copied whole (width floats) where the array
     * allows (lanes past w then hold the next row's first columns: their sums land in C columns that are never
     * stored), and as w floats plus zeros for the last rows, where a vector would run off the array.
     */
    private static void padPanel(float[] b, int bp, int ldb, int kc, int w, int width, float[] pad) {
        int room = b.length - width - bp;
        int safe = room < 0 ? 0 : Math.min(kc, room / ldb + 1);
        // arraycopy, not vector loads: the same floats, and no boxing in C1 code while this once-a-panel loop waits
        // for C2 (the CNN's Dense layer calls it once a panel and reaches C2 here only after ~900 steps)
        for (int p = 0; p < safe; p++) System.arraycopy(b, bp + p * ldb, pad, p * width, width);
        for (int p = safe; p < kc; p++) {
            System.arraycopy(b, bp + p * ldb, pad, p * width, w);
            java.util.Arrays.fill(pad, p * width + w, (p + 1) * width, 0f);
        }
    }

    /**
     * The ragged last column tile ({@code w < NR} columns) on a padded panel (row stride width): C's tile goes through
     * {@code tile} (rows×width) so {@link #micro} (width NR) or {@link #micro1} (width VL) run unmasked.
     */
    private static void microEdge(int kc, int rows, int w, int width, float[] a, int ap, int ars, int acs, float[] b,
                                  int bp, float[] c, int cp, int ldc, boolean load, float[] tile) {
        if (load) for (int r = 0; r < rows; r++) System.arraycopy(c, cp + r * ldc, tile, r * width, w);
        if (width == NR) micro(kc, rows, a, ap, ars, acs, b, bp, NR, tile, 0, NR, load);
        else micro1(kc, rows, a, ap, ars, acs, b, bp, VL, tile, load);
        for (int r = 0; r < rows; r++) System.arraycopy(tile, r * width, c, cp + r * ldc, w);
    }

    /**
     * {@link #micro} one vector wide and 2·MR rows tall: C[0:rows, 0:VL] (+)= Σ_p A(r, p)·B(p, 0:VL), B with row stride
     * ldb from {@code bp}, C with row stride VL from 0. Twelve rows keep twelve FMA chains in flight, as the NR-wide tile
     * does (32×128·128×10 per core: 28 → 37 GFLOP/s, against OpenBLAS's 65; what is left is the 6 of 16 lanes that a
     * 10-column head wastes and a broadcast per FMA). Tried and left out, each within the noise on 32×128·128×10 (33–41
     * either way): a twin with unit-stride indexes (acs = 1, stride VL) so C2 drops the per-load bounds checks (worth
     * 15–25% to {@link #microUnit}, nothing here), masked vector copies of the C tile instead of 32 arraycopies, and a
     * 16-row tile (no wasted rows for M = 32, but 1×128·128×10 3.4 → 2.4). The time per K step goes to the broadcasts:
     * one per FMA, where a 512-bit broadcast costs an FP pipe slot, ~1.5 cycles an FMA; see {@link #narrowCols}.
     *
     * <p>Why this tile stays below OpenBLAS (0.6–0.7 on the 10-column head), from the machine code: C2 compiles each
     * row's step to a {@code vbroadcastss} from memory and a {@code vfmadd231ps} (plus a bounds check unless acs = 1),
     * while OpenBLAS's small-matrix kernel (sgemm_small_kernel_b0_nn_COOPERLAKE on this Zen 4) folds the broadcast into
     * the FMA ({@code vfmadd231ps (mem){1to16}}), a form C2 never emits; see BENCHMARKS.md, "The 10-class head,
     * examined". So the head's forward (A untransposed, K a multiple of 16) no longer comes here: {@link GemmNarrow}
     * needs no broadcast at all. What still does: N of 11–16, a ragged K, and the last rows of a transposed A.
     */
    private static void micro1(int kc, int rows, float[] a, int ap, int ars, int acs, float[] b, int bp, int ldb,
                               float[] c, boolean load) {
        int last = rows - 1;
        int a0 = ap, a1 = ap + Math.min(1, last) * ars, a2 = ap + Math.min(2, last) * ars, a3 = ap + Math.min(3, last) * ars;
        int a4 = ap + Math.min(4, last) * ars, a5 = ap + Math.min(5, last) * ars, a6 = ap + Math.min(6, last) * ars;
        int a7 = ap + Math.min(7, last) * ars, a8 = ap + Math.min(8, last) * ars, a9 = ap + Math.min(9, last) * ars;
        int a10 = ap + Math.min(10, last) * ars, a11 = ap + Math.min(11, last) * ars;
        FloatVector c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11;
        c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = FloatVector.zero(S);
        if (load) {
            c0 = FloatVector.fromArray(S, c, 0); c1 = FloatVector.fromArray(S, c, VL); c2 = FloatVector.fromArray(S, c, 2 * VL);
            c3 = FloatVector.fromArray(S, c, 3 * VL); c4 = FloatVector.fromArray(S, c, 4 * VL); c5 = FloatVector.fromArray(S, c, 5 * VL);
            c6 = FloatVector.fromArray(S, c, 6 * VL); c7 = FloatVector.fromArray(S, c, 7 * VL); c8 = FloatVector.fromArray(S, c, 8 * VL);
            c9 = FloatVector.fromArray(S, c, 9 * VL); c10 = FloatVector.fromArray(S, c, 10 * VL); c11 = FloatVector.fromArray(S, c, 11 * VL);
        }
        for (int p = 0, pa = 0, pb = bp; p < kc; p++, pa += acs, pb += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, pb);
            c0 = FloatVector.broadcast(S, a[a0 + pa]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[a1 + pa]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[a2 + pa]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[a3 + pa]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[a4 + pa]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[a5 + pa]).fma(b0, c5);
            c6 = FloatVector.broadcast(S, a[a6 + pa]).fma(b0, c6);
            c7 = FloatVector.broadcast(S, a[a7 + pa]).fma(b0, c7);
            c8 = FloatVector.broadcast(S, a[a8 + pa]).fma(b0, c8);
            c9 = FloatVector.broadcast(S, a[a9 + pa]).fma(b0, c9);
            c10 = FloatVector.broadcast(S, a[a10 + pa]).fma(b0, c10);
            c11 = FloatVector.broadcast(S, a[a11 + pa]).fma(b0, c11);
        }
        c0.intoArray(c, 0); c1.intoArray(c, VL); c2.intoArray(c, 2 * VL); c3.intoArray(c, 3 * VL);
        c4.intoArray(c, 4 * VL); c5.intoArray(c, 5 * VL); c6.intoArray(c, 6 * VL); c7.intoArray(c, 7 * VL);
        c8.intoArray(c, 8 * VL); c9.intoArray(c, 9 * VL); c10.intoArray(c, 10 * VL); c11.intoArray(c, 11 * VL);
    }

    /**
     * The narrow column tile, for an op(A) stored transposed and a C at most {@link #NARROW} columns wide (the 10-class
     * head's dW = Hᵀ·dY): C[0:2·VL, 0:n] (+)= Σ_p A(r, p)·B(p, 0:n), vectorised along M — two vectors of A's column p,
     * read in place at {@code apo + p·as} (contiguous along i for a transposed A), against one broadcast of B(p, j) per
     * column, twenty accumulators. Columns past n repeat the last one and are not stored. Against the row tile
     * ({@link #micro1}: one 16-lane vector per row with 10 lanes used, and a broadcast per FMA, which on Zen 4 also
     * takes an FP pipe for a 512-bit vector) every lane is used and a broadcast feeds two FMAs. Per core (bench/gemm
     * --cpu-time, busy 2-core machine, four runs each): 32x128x10_ta 31–39 → 61–67 GFLOP/s (OpenBLAS 68–86 in the same
     * runs), 128x32x10_ta 28–36 → 35–42 (OpenBLAS 45–78; with K = 32 the scalar copy of C is a large share). Each C
     * element is still one FMA chain over p = 0…K−1 from 0 or C, so the bits are those of every other tile
     * (GemmNarrowTest).
     *
     * <p>C goes through {@code buf} column-major ({@code j·2·VL + r}), then to C by register transposes (below;
     * 128×32ᵀ·32×10 per core 1.44 → 1.1–1.2 µs). Tried and left out: masked scatters;
     * and, for the forward from a row-major A, 16×16 register transposes of A (50–56 GFLOP/s against OpenBLAS's 65),
     * which C2 reached only seconds later on the busy 2-core machine, so bench/gemm's one-second warm-up often timed
     * the Vector API's fallback.
     */
    private static void narrowCols(int n, int k, float[] ap, int apo, int as, float[] b, int bo, int ldb,
                                   float[] c, int cp, int ldc, boolean accumulate, float[] buf) {
        int last = n - 1;
        int b0 = bo, b1 = bo + Math.min(1, last), b2 = bo + Math.min(2, last), b3 = bo + Math.min(3, last), b4 = bo + Math.min(4, last);
        int b5 = bo + Math.min(5, last), b6 = bo + Math.min(6, last), b7 = bo + Math.min(7, last), b8 = bo + Math.min(8, last), b9 = bo + Math.min(9, last);
        FloatVector x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, y0, y1, y2, y3, y4, y5, y6, y7, y8, y9;
        x0 = x1 = x2 = x3 = x4 = x5 = x6 = x7 = x8 = x9 = y0 = y1 = y2 = y3 = y4 = y5 = y6 = y7 = y8 = y9 = FloatVector.zero(S);
        if (accumulate) {
            for (int t = 0; t < n; t++) for (int r = 0; r < 2 * VL; r++) buf[t * 2 * VL + r] = c[cp + r * ldc + t];
            x0 = FloatVector.fromArray(S, buf, 0 * 2 * VL); y0 = FloatVector.fromArray(S, buf, 0 * 2 * VL + VL);
            x1 = FloatVector.fromArray(S, buf, 1 * 2 * VL); y1 = FloatVector.fromArray(S, buf, 1 * 2 * VL + VL);
            x2 = FloatVector.fromArray(S, buf, 2 * 2 * VL); y2 = FloatVector.fromArray(S, buf, 2 * 2 * VL + VL);
            x3 = FloatVector.fromArray(S, buf, 3 * 2 * VL); y3 = FloatVector.fromArray(S, buf, 3 * 2 * VL + VL);
            x4 = FloatVector.fromArray(S, buf, 4 * 2 * VL); y4 = FloatVector.fromArray(S, buf, 4 * 2 * VL + VL);
            x5 = FloatVector.fromArray(S, buf, 5 * 2 * VL); y5 = FloatVector.fromArray(S, buf, 5 * 2 * VL + VL);
            x6 = FloatVector.fromArray(S, buf, 6 * 2 * VL); y6 = FloatVector.fromArray(S, buf, 6 * 2 * VL + VL);
            x7 = FloatVector.fromArray(S, buf, 7 * 2 * VL); y7 = FloatVector.fromArray(S, buf, 7 * 2 * VL + VL);
            x8 = FloatVector.fromArray(S, buf, 8 * 2 * VL); y8 = FloatVector.fromArray(S, buf, 8 * 2 * VL + VL);
            x9 = FloatVector.fromArray(S, buf, 9 * 2 * VL); y9 = FloatVector.fromArray(S, buf, 9 * 2 * VL + VL);
        }
        for (int p = 0, pa = apo, pb = 0; p < k; p++, pa += as, pb += ldb) {
            FloatVector u = FloatVector.fromArray(S, ap, pa), v = FloatVector.fromArray(S, ap, pa + VL);
            FloatVector z0 = FloatVector.broadcast(S, b[b0 + pb]); x0 = u.fma(z0, x0); y0 = v.fma(z0, y0);
            FloatVector z1 = FloatVector.broadcast(S, b[b1 + pb]); x1 = u.fma(z1, x1); y1 = v.fma(z1, y1);
            FloatVector z2 = FloatVector.broadcast(S, b[b2 + pb]); x2 = u.fma(z2, x2); y2 = v.fma(z2, y2);
            FloatVector z3 = FloatVector.broadcast(S, b[b3 + pb]); x3 = u.fma(z3, x3); y3 = v.fma(z3, y3);
            FloatVector z4 = FloatVector.broadcast(S, b[b4 + pb]); x4 = u.fma(z4, x4); y4 = v.fma(z4, y4);
            FloatVector z5 = FloatVector.broadcast(S, b[b5 + pb]); x5 = u.fma(z5, x5); y5 = v.fma(z5, y5);
            FloatVector z6 = FloatVector.broadcast(S, b[b6 + pb]); x6 = u.fma(z6, x6); y6 = v.fma(z6, y6);
            FloatVector z7 = FloatVector.broadcast(S, b[b7 + pb]); x7 = u.fma(z7, x7); y7 = v.fma(z7, y7);
            FloatVector z8 = FloatVector.broadcast(S, b[b8 + pb]); x8 = u.fma(z8, x8); y8 = v.fma(z8, y8);
            FloatVector z9 = FloatVector.broadcast(S, b[b9 + pb]); x9 = u.fma(z9, x9); y9 = v.fma(z9, y9);
        }
        x0.intoArray(buf, 0 * 2 * VL); y0.intoArray(buf, 0 * 2 * VL + VL);
        x1.intoArray(buf, 1 * 2 * VL); y1.intoArray(buf, 1 * 2 * VL + VL);
        x2.intoArray(buf, 2 * 2 * VL); y2.intoArray(buf, 2 * 2 * VL + VL);
        x3.intoArray(buf, 3 * 2 * VL); y3.intoArray(buf, 3 * 2 * VL + VL);
        x4.intoArray(buf, 4 * 2 * VL); y4.intoArray(buf, 4 * 2 * VL + VL);
        x5.intoArray(buf, 5 * 2 * VL); y5.intoArray(buf, 5 * 2 * VL + VL);
        x6.intoArray(buf, 6 * 2 * VL); y6.intoArray(buf, 6 * 2 * VL + VL);
        x7.intoArray(buf, 7 * 2 * VL); y7.intoArray(buf, 7 * 2 * VL + VL);
        x8.intoArray(buf, 8 * 2 * VL); y8.intoArray(buf, 8 * 2 * VL + VL);
        x9.intoArray(buf, 9 * 2 * VL); y9.intoArray(buf, 9 * 2 * VL + VL);
        if (GemmNarrow.ON && n >= 8) {
            GemmNarrow.storeColumnTile(n, buf, c, cp, ldc);
        } else {
            // Column by column: each inner loop reads 2·VL floats in a row rather than n strided ones.
            for (int t = 0; t < n; t++) for (int r = 0; r < 2 * VL; r++) c[cp + r * ldc + t] = buf[t * 2 * VL + r];
        }
    }

    /**
     * C (+)= op(A)·B on the calling thread only, with B row-major (K×N) and the Java kernel: for kernels that already
     * split their work across {@link Parallel} (the convolution's per-chunk products), where a second split or a
     * hand-off to OpenBLAS's threads would only compete for the same cores. B is packed per call when {@link #blocked}
     * finds enough rows to reuse it: a convolution chunk (85–1024 rows) then runs on {@link #microUnit} rather than the
     * strided {@link #micro}, whose every broadcast is bounds-checked; packing costs ~1% of such a product (CnnBench
     * --batchnorm +5–12%, alternated with the unpacked build). A recurrent layer, which multiplies by the same weights
     * at every time step, packs them once per call instead ({@link #pack}, {@link #gemmSerialPacked}).
     */
    static void gemmSerial(boolean ta, int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                           float[] c, int co, int ldc, boolean accumulate) {
        if (empty(m, n, k, c, co, ldc, accumulate)) return;
        if (GemmNarrow.takes(ta, n, k)) GemmNarrow.gemm(false, m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate, true);
        else blocked(0, m, 0, n, k, a, ao, ta ? 1 : lda, ta ? lda : 1, b, bo, ldb, 1, c, co, ldc, accumulate);
    }
}
