package dev.kiln.core;

import java.util.Arrays;

/** Static helpers for shapes and strides (row-major). Shapes are plain {@code int[]} everywhere. */
public final class Shape {
    private Shape() {}

    /** Number of elements of a shape; the empty shape (a scalar) has one. */
    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + str(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + str(shape) + " has more than 2^31-1 elements");
        return (int) n;
    }

    /** Row-major (C-order) strides for a shape. */
    public static int[] stridesOf(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** NumPy broadcasting of two shapes; throws with both shapes named when they are incompatible. */
    public static int[] broadcast(int[] a, int[] b) {
        int[] out = new int[Math.max(a.length, b.length)];
        broadcastInto(a, b, out);
        return out;
    }

    /** {@link #broadcast} into {@code out}, of the larger of the two ranks: no array made (a product's batch shape). */
    public static void broadcastInto(int[] a, int[] b, int[] out) {
        int r = out.length;
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast: dimension " + i + " is " + da + " vs " + db
                        + " (each pair of trailing dimensions must be equal or one of them 1)");
            }
            out[i] = da == 1 ? db : da; // not max: a 0-length dimension broadcasts against 1 to 0
        }
    }

    /** Strides that read a tensor of {@code shape}/{@code strides} as if it had the larger {@code target} shape. */
    public static int[] broadcastStrides(int[] shape, int[] strides, int[] target) {
        int[] out = new int[target.length];
        int off = target.length - shape.length;
        for (int i = 0; i < shape.length; i++) {
            out[i + off] = shape[i] == 1 && target[i + off] != 1 ? 0 : strides[i];
        }
        return out;
    }

    /** Normalises a possibly negative axis against a rank, with a clear error. */
    public static int axis(int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new IllegalArgumentException("axis " + axis + " is out of range for rank " + rank);
        return a;
    }

    /** Formats a shape the way error messages print it: {@code (32, 784)}. */
    public static String str(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i]);
        }
        if (shape.length == 1) sb.append(',');
        return sb.append(')').toString();
    }

    public static boolean equal(int[] a, int[] b) {
        return Arrays.equals(a, b);
    }
}
