package dev.kiln.core.kernel;

/**
 * The shapes and index arithmetic of a 2-D convolution or pooling window over channels-last (NHWC) data.
 * Input (batch, height, width, channels); kernel (kh, kw, channels / groups, filters) in Keras layout;
 * output (batch, outH, outW, filters). Output pixel (oh, ow) reads input rows {@code oh·sh − padTop + i·dh}
 * for window row i (columns alike); positions outside the input read zero (convolution) or are skipped
 * (pooling). For pooling, {@code filters == channels == groups}.
 */
public record ConvGeometry(int batch, int height, int width, int channels, int kh, int kw, int filters, int groups,
                           int sh, int sw, int dh, int dw, int padTop, int padLeft, int outH, int outW) {
    public ConvGeometry {
        if (batch < 0 || height < 1 || width < 1 || channels < 1 || kh < 1 || kw < 1 || filters < 1 || groups < 1
                || sh < 1 || sw < 1 || dh < 1 || dw < 1 || padTop < 0 || padLeft < 0 || outH < 1 || outW < 1) {
            throw new IllegalArgumentException("invalid convolution geometry " + this);
        }
        if (channels % groups != 0 || filters % groups != 0) {
            throw new IllegalArgumentException("channels (" + channels + ") and filters (" + filters + ") must both be divisible by groups (" + groups + ")");
        }
    }

    /** Input channels seen by one group. */
    public int inPerGroup() {
        return channels / groups;
    }

    /** Filters produced by one group. */
    public int outPerGroup() {
        return filters / groups;
    }

    /**
     * Whether a window row starting at input column {@code iw0} is one contiguous run of kw·inPerGroup floats of the
     * input (one group, no width dilation, the row inside the input), so im2col and col2im can move it in one go.
     */
    boolean windowRowContiguous(int iw0) {
        return groups == 1 && dw == 1 && iw0 >= 0 && iw0 + kw <= width;
    }

    /** Length of one im2col row: kh·kw·(channels / groups). */
    public int patch() {
        return kh * kw * inPerGroup();
    }

    /** Output pixels over the batch: the rows of the im2col matrix. */
    public int rows() {
        return batch * outH * outW;
    }

    public int inputSize() {
        return batch * height * width * channels;
    }

    public int outputSize() {
        return rows() * filters;
    }

    public int kernelSize() {
        return kh * kw * inPerGroup() * filters;
    }
}
