package dev.kiln.core;

/**
 * Element types of a {@link Tensor}. FLOAT32 is what models train in; FLOAT64 exists so gradient checks
 * can run every op in double precision through the scalar reference kernels.
 */
public enum DType {
    FLOAT32(4), FLOAT64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }
}
