package dev.kiln.serve;

import java.util.ArrayList;
import java.util.List;

/**
 * The fast path for predict bodies: reads the common, plain form
 * {@code {"instances": [[0.1, 0.25, ...], ...], "top_k": 3}} straight from the bytes, without Jackson's
 * tokens. Reading the numbers was half of a request's CPU time (784 per Fashion-MNIST image).
 *
 * <p>It is strict and gives up rather than guess: anything it does not fully recognise — an exponent, a key
 * with an escape, a duplicate or unknown key, a wrong count, a leading zero, invalid JSON of any kind — makes
 * {@link #parse} return null, and {@link PredictRequest#parse} reads the body again with Jackson, which
 * accepts or rejects it with the precise message. So this path never decides an error, and what it accepts
 * is exactly what the Jackson path accepts, with the same floats ({@code FastInstancesTest} checks both).
 * Stateless and thread-safe.
 */
final class FastInstances {
    private final byte[] b;
    private int i;

    private FastInstances(byte[] body) {
        this.b = body;
    }

    /** The request, or null when the body is not in the plain form (the caller then uses Jackson). */
    static PredictRequest parse(byte[] body, int[] shape, int maxInstances) {
        return new FastInstances(body).request(shape, maxInstances);
    }

    private PredictRequest request(int[] shape, int maxInstances) {
        float[][] rows = null;
        Integer topK = null;
        ws();
        if (!eat('{')) return null;
        ws();
        if (peek() == '}') return null;
        while (true) {
            ws();
            if (key("\"instances\"")) {
                if (rows != null || !colon()) return null;
                rows = instances(shape, maxInstances);
                if (rows == null) return null;
            } else if (key("\"top_k\"")) {
                if (topK != null || !colon()) return null;
                long k = integer();
                if (k < 1 || k > 1000) return null;
                topK = (int) k;
            } else {
                return null;
            }
            ws();
            if (eat('}')) break;
            if (!eat(',')) return null;
        }
        ws();
        return i == b.length && rows != null ? new PredictRequest(rows, topK) : null;
    }

    private float[][] instances(int[] shape, int maxInstances) {
        ws();
        if (!eat('[')) return null;
        int size = 1;
        for (int d : shape) size *= d;
        List<float[]> rows = new ArrayList<>();
        ws();
        if (peek() == ']') return null;   // empty: Jackson's path says so
        while (true) {
            if (rows.size() == maxInstances) return null;
            ws();
            if (!eat('[')) return null;
            float[] row = new float[size];
            ws();
            boolean flat = shape.length > 1 && peek() != '[';
            int end = flat ? numbers(row, 0, size) : nested(row, 0, 0, shape);
            if (end != size) return null;
            rows.add(row);
            ws();
            if (eat(']')) break;
            if (!eat(',')) return null;
        }
        return rows.toArray(float[][]::new);
    }

    /** Dimension {@code dim} after its '[': returns the offset after its last number, or -1. */
    private int nested(float[] row, int dim, int offset, int[] shape) {
        if (dim == shape.length - 1) return numbers(row, offset, shape[dim]);
        for (int k = 0; k < shape[dim]; k++) {
            ws();
            if (k > 0 && !eat(',')) return -1;
            ws();
            if (!eat('[')) return -1;
            offset = nested(row, dim + 1, offset, shape);
            if (offset < 0) return -1;
        }
        ws();
        return eat(']') ? offset : -1;
    }

    /** Exactly {@code n} numbers and the closing ']' (the '[' is consumed); returns the next offset, or -1. */
    private int numbers(float[] row, int offset, int n) {
        for (int k = 0; k < n; k++) {
            ws();
            if (k > 0 && !eat(',')) return -1;
            ws();
            float v = number();
            if (Float.isNaN(v)) return -1;
            row[offset++] = v;
        }
        ws();
        return eat(']') ? offset : -1;
    }

    /**
     * A JSON number without exponent: -?(0|[1-9][0-9]*)(.[0-9]+)? with at most 7 significant digits and 10
     * decimals, as the nearest float (Clinger's fast path, see {@link PredictRequest#parseFloat}); NaN when
     * it is anything else, which sends the body to Jackson.
     */
    private float number() {
        boolean negative = eat('-');
        if (i >= b.length) return Float.NaN;
        long mantissa = 0;
        int digits = 0;
        int scale = 0;
        if (b[i] == '0') {
            i++;
            if (i < b.length && b[i] >= '0' && b[i] <= '9') return Float.NaN;   // a leading zero is not JSON
        } else if (b[i] >= '1' && b[i] <= '9') {
            while (i < b.length && b[i] >= '0' && b[i] <= '9') {
                mantissa = mantissa * 10 + (b[i++] - '0');
                if (++digits > 7) return Float.NaN;
            }
        } else {
            return Float.NaN;
        }
        if (i < b.length && b[i] == '.') {
            i++;
            int start = i;
            while (i < b.length && b[i] >= '0' && b[i] <= '9') {
                mantissa = mantissa * 10 + (b[i++] - '0');
                if (mantissa != 0 && ++digits > 7) return Float.NaN;
                if (--scale < -10) return Float.NaN;
            }
            if (i == start) return Float.NaN;   // "1." is not JSON
        }
        if (i < b.length && (b[i] == 'e' || b[i] == 'E')) return Float.NaN;
        float m = mantissa;
        float v = scale == 0 ? m : m / POW10[-scale];
        return negative ? -v : v;
    }

    private static final float[] POW10 = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

    private long integer() {
        ws();
        int start = i;
        long v = 0;
        while (i < b.length && b[i] >= '0' && b[i] <= '9' && i - start < 6) v = v * 10 + (b[i++] - '0');
        if (i == start || (b[start] == '0' && i - start > 1)) return -1;
        if (i < b.length && (b[i] == '.' || b[i] == 'e' || b[i] == 'E' || (b[i] >= '0' && b[i] <= '9'))) return -1;
        return v;
    }

    private boolean key(String quoted) {
        int n = quoted.length();
        if (i + n > b.length) return false;
        for (int k = 0; k < n; k++) if (b[i + k] != quoted.charAt(k)) return false;
        i += n;
        return true;
    }

    private boolean colon() {
        ws();
        return eat(':');
    }

    private int peek() {
        return i < b.length ? b[i] : -1;
    }

    private boolean eat(char c) {
        if (i < b.length && b[i] == c) {
            i++;
            return true;
        }
        return false;
    }

    private void ws() {
        while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++;
    }
}
