package dev.kiln.core.kernel;

/**
 * Element access over float or double storage, widened to double. The scalar reference kernels are
 * written once against it: they are the float64 implementation of every op (used by gradient checks)
 * and the twin each fast float32 kernel is tested against.
 */
public sealed interface Buf {
    double get(int i);

    void set(int i, double v);

    static Buf of(float[] a) {
        return new F(a);
    }

    static Buf of(double[] a) {
        return new D(a);
    }

    record F(float[] a) implements Buf {
        public double get(int i) {
            return a[i];
        }

        public void set(int i, double v) {
            a[i] = (float) v;
        }
    }

    record D(double[] a) implements Buf {
        public double get(int i) {
            return a[i];
        }

        public void set(int i, double v) {
            a[i] = v;
        }
    }
}
