package dev.kiln.data.image;

/**
 * How images become samples of shape {@code (height, width, channels)} (channels-last, as in Keras).
 *
 * @param height          rows of every sample
 * @param width           columns of every sample
 * @param channels        1 (grey) or 3 (RGB)
 * @param resize          resize other sizes bilinearly; when false, an image of another size is an error
 * @param convertChannels turn colour into grey (ITU-R BT.601 luma) or grey into RGB (copied); when false,
 *                        an image with the wrong number of channels is an error
 */
public record ImageOptions(int height, int width, int channels, boolean resize, boolean convertChannels) {
    public ImageOptions {
        if (height < 1 || width < 1) throw new IllegalArgumentException("image size must be at least 1×1, got " + height + "×" + width);
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
        }
    }

    /** Samples of {@code (height, width, channels)}, resizing and converting whatever comes. */
    public static ImageOptions of(int height, int width, int channels) {
        return new ImageOptions(height, width, channels, true, true);
    }

    public ImageOptions withResize(boolean v) {
        return new ImageOptions(height, width, channels, v, convertChannels);
    }

    public ImageOptions withConvertChannels(boolean v) {
        return new ImageOptions(height, width, channels, resize, v);
    }

    /** Floats per sample. */
    public int sampleSize() {
        return height * width * channels;
    }

    /** {@code (height, width, channels)}. */
    public int[] sampleShape() {
        return new int[] {height, width, channels};
    }
}
