package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reusable {@link Strided.Walk} visits exactly the rows, offsets and inner strides that {@link Strided#plan} does. */
class StridedTest {
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void aWalkVisitsThePlansRowsInItsOrder(long seed) {
        Random r = new Random(seed);
        for (int trial = 0; trial < 200; trial++) {
            int rank = r.nextInt(5);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) shape[d] = r.nextInt(10) == 0 ? (r.nextBoolean() ? 0 : 1) : 1 + r.nextInt(4);
            int operands = 2 + r.nextInt(2);
            int[][] strides = new int[operands][];
            int[] base = new int[operands];
            for (int o = 0; o < operands; o++) {
                strides[o] = r.nextBoolean() ? Shape.stridesOf(shape) : randomStrides(r, rank);
                base[o] = r.nextInt(7);
            }
            List<String> planned = new ArrayList<>();
            Strided plan = Strided.plan(shape, strides);
            plan.forEachRow(base, (off, n) -> planned.add(java.util.Arrays.toString(off) + " x" + n));
            Strided.Walk w = Strided.Walk.take(rank, operands);
            for (int o = 0; o < operands; o++) w.operand(o, strides[o], base[o]);
            w.start(shape);
            List<String> walked = new ArrayList<>();
            while (w.next()) {
                int[] off = new int[operands];
                for (int o = 0; o < operands; o++) off[o] = w.at(o);
                walked.add(java.util.Arrays.toString(off) + " x" + w.innerLength());
            }
            String what = "shape " + java.util.Arrays.toString(shape) + " strides " + java.util.Arrays.deepToString(strides);
            if (!planned.isEmpty()) {
                for (int o = 0; o < operands; o++) assertThat(w.inner(o)).as(what + " inner stride " + o).isEqualTo(plan.inner(o));
                assertThat(w.innerLength()).as(what).isEqualTo(plan.innerLength());
            }
            w.release();
            assertThat(walked).as(what).isEqualTo(planned);
        }
    }

    @Test
    void broadcastOperandsReadAsShapeBroadcastStridesSays() {
        int[] target = {2, 3, 4};
        int[] small = {3, 1}, smallStrides = {1, 1};
        Strided.Walk w = Strided.Walk.take(3, 2).operand(0, small, smallStrides, target, 5).operand(1, Shape.stridesOf(target), 0).start(target);
        List<String> walked = new ArrayList<>();
        while (w.next()) walked.add(w.at(0) + "," + w.at(1));
        int inner = w.inner(0);
        w.release();
        List<String> planned = new ArrayList<>();
        Strided plan = Strided.plan(target, Shape.broadcastStrides(small, smallStrides, target), Shape.stridesOf(target));
        plan.forEachRow(new int[] {5, 0}, (o, n) -> planned.add(o[0] + "," + o[1]));
        assertThat(walked).isEqualTo(planned);
        assertThat(inner).isEqualTo(plan.inner(0)).isZero();
    }

    @Test
    void aWalkTakenWhileThisThreadsIsInUseIsAnotherAndReleasedOnesAreReused() {
        Strided.Walk outer = Strided.Walk.take(2, 2);
        Strided.Walk nested = Strided.Walk.take(2, 2);
        assertThat(nested).isNotSameAs(outer);
        nested.release();
        outer.release();
        Strided.Walk again = Strided.Walk.take(6, 3);   // a larger rank grows the kept walk's arrays
        assertThat(again).isSameAs(outer);
        again.release();
    }

    private static int[] randomStrides(Random r, int rank) {
        int[] s = new int[rank];
        for (int d = 0; d < rank; d++) s[d] = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(30);
        return s;
    }
}
