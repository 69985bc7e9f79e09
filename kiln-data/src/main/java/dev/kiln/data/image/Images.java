package dev.kiln.data.image;

import dev.kiln.data.InvalidDataException;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * Reading PNG and JPEG files (through {@code javax.imageio}) into channels-last float samples in [0, 1],
 * and bilinear resizing. Stateless and thread-safe.
 */
public final class Images {
    /** The file name endings read as images (lower case). */
    public static final List<String> SUFFIXES = List.of(".png", ".jpg", ".jpeg");

    private Images() {}

    /** Whether {@code file}'s name ends in one of {@link #SUFFIXES}, in any case. */
    public static boolean isImageFile(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return SUFFIXES.stream().anyMatch(n::endsWith);
    }

    /**
     * One image as {@code (height, width, channels)} floats in [0, 1].
     *
     * @throws InvalidDataException naming the file when it cannot be decoded, or has the wrong size or channels
     *     and {@code options} does not allow resizing or converting
     */
    public static float[] read(Path file, ImageOptions options) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        BufferedImage img;
        try (InputStream in = Files.newInputStream(file)) {
            img = ImageIO.read(in);
        } catch (NoSuchFileException e) {
            throw new InvalidDataException(file + ": no such file", e);
        } catch (IOException | RuntimeException e) {
            // ImageIO reports damaged files as IIOException, and sometimes as a RuntimeException from a codec.
            throw new InvalidDataException(file + " is a damaged or unsupported image: " + e.getMessage()
                    + "; expected a PNG or JPEG file. Re-export it or remove it from the folder", e);
        }
        if (img == null) {
            throw new InvalidDataException(file + " is not an image javax.imageio can read; expected a PNG or JPEG file "
                    + "(is it another format, or empty?)");
        }
        return convert(img, file.toString(), options);
    }

    /** A decoded image as {@code (height, width, channels)} floats in [0, 1]; {@code source} names it in errors. */
    public static float[] convert(BufferedImage img, String source, ImageOptions options) {
        int h = img.getHeight();
        int w = img.getWidth();
        if (!options.resize() && (h != options.height() || w != options.width())) {
            throw new InvalidDataException(source + " is " + w + "×" + h + " pixels (width × height) but " + options.width() + "×"
                    + options.height() + " is expected; resize it, or allow resizing with ImageOptions.withResize(true)");
        }
        int srcChannels = channelsOf(img);
        if (!options.convertChannels() && srcChannels != options.channels()) {
            throw new InvalidDataException(source + " has " + srcChannels + " colour channel" + (srcChannels == 1 ? "" : "s")
                    + (srcChannels == 1 ? " (grey)" : " (colour)") + " but " + options.channels() + " " + (options.channels() == 1 ? "(grey) is" : "(RGB) are")
                    + " expected; convert it, or allow converting with ImageOptions.withConvertChannels(true)");
        }
        float[] px = pixels(img, srcChannels);   // (h, w, srcChannels)
        px = convertChannels(px, h * w, srcChannels, options.channels());
        if (h != options.height() || w != options.width()) px = resize(px, h, w, options.channels(), options.height(), options.width());
        return px;
    }

    /** 1 for grey images (with or without alpha), 3 for everything else; alpha is ignored. */
    static int channelsOf(BufferedImage img) {
        return img.getColorModel().getColorSpace().getNumComponents() == 1 ? 1 : 3;
    }

    private static float[] pixels(BufferedImage img, int channels) {
        int h = img.getHeight();
        int w = img.getWidth();
        float[] out = new float[h * w * channels];
        if (channels == 1) {
            // Read grey samples from the raster: getRGB would pass them through a linear-to-sRGB conversion
            // for some grey colour spaces and brighten them.
            Raster r = img.getRaster();
            float max = (1 << img.getColorModel().getComponentSize(0)) - 1;
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) out[y * w + x] = r.getSample(x, y, 0) / max;
            return out;
        }
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                int o = (y * w + x) * 3;
                out[o] = (p >> 16 & 0xFF) / 255f;
                out[o + 1] = (p >> 8 & 0xFF) / 255f;
                out[o + 2] = (p & 0xFF) / 255f;
            }
        }
        return out;
    }

    private static float[] convertChannels(float[] px, int n, int from, int to) {
        if (from == to) return px;
        float[] out = new float[n * to];
        if (from == 1) {
            for (int i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = px[i];
        } else {
            for (int i = 0; i < n; i++) out[i] = 0.299f * px[3 * i] + 0.587f * px[3 * i + 1] + 0.114f * px[3 * i + 2];
        }
        return out;
    }

    /**
     * Bilinear resize of a channels-last image {@code (h, w, c)} to {@code (outH, outW, c)}, sampling at pixel
     * centres ({@code src = (dst + 0.5) · scale - 0.5}, clamped at the borders) like PyTorch's
     * {@code interpolate(mode="bilinear", align_corners=False)} and TensorFlow 2's {@code resize} without
     * antialiasing. Shrinking by more than 2× therefore skips pixels rather than averaging them.
     */
    public static float[] resize(float[] px, int h, int w, int c, int outH, int outW) {
        if (px.length != h * w * c) throw new IllegalArgumentException("image has " + px.length + " values, expected " + h + "×" + w + "×" + c);
        float[] out = new float[outH * outW * c];
        double sy = (double) h / outH;
        double sx = (double) w / outW;
        for (int y = 0; y < outH; y++) {
            double fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
            int y0 = (int) fy;
            int y1 = Math.min(y0 + 1, h - 1);
            float dy = (float) (fy - y0);
            for (int x = 0; x < outW; x++) {
                double fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
                int x0 = (int) fx;
                int x1 = Math.min(x0 + 1, w - 1);
                float dx = (float) (fx - x0);
                for (int k = 0; k < c; k++) {
                    float top = px[(y0 * w + x0) * c + k] * (1 - dx) + px[(y0 * w + x1) * c + k] * dx;
                    float bottom = px[(y1 * w + x0) * c + k] * (1 - dx) + px[(y1 * w + x1) * c + k] * dx;
                    out[(y * outW + x) * c + k] = top * (1 - dy) + bottom * dy;
                }
            }
        }
        return out;
    }

    /**
     * A sample {@code (h, w, c)} (or {@code (h, w)} for grey) in [0, 1] as an image, for plots and previews;
     * values outside [0, 1] are clamped.
     */
    public static BufferedImage toImage(float[] data, int offset, int h, int w, int c) {
        if (c != 1 && c != 3) throw new IllegalArgumentException("only 1 or 3 channels can be shown, got " + c);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = offset + (y * w + x) * c;
                int r = byteOf(data[o]);
                int g = c == 1 ? r : byteOf(data[o + 1]);
                int b = c == 1 ? r : byteOf(data[o + 2]);
                img.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return img;
    }

    private static int byteOf(float v) {
        return Math.round(Math.min(1f, Math.max(0f, Float.isNaN(v) ? 0f : v)) * 255f);
    }
}
