package dev.kiln.data.image;

import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.data.Augmentation;

/**
 * Seeded random image augmentation for channels-last samples {@code (H, W, C)} or grey {@code (H, W)}, in the
 * spirit of Keras's {@code RandomFlip}, {@code RandomRotation}, {@code RandomTranslation},
 * {@code RandomBrightness}, {@code RandomContrast} and the pad-and-crop of the CIFAR ResNet papers
 * (He et al. 2016, "Deep Residual Learning for Image Recognition": 4 pixels of padding, a random 32×32 crop,
 * random horizontal flips). Attach it with {@code dataset.augmented(augmentation)}.
 *
 * <p>Per sample, the geometric part is one inverse mapping of each output pixel back into the input (flip,
 * then rotation about the centre, then translation, then the crop offset) sampled bilinearly; pixels that
 * fall outside the image become 0, as torchvision's padded {@code RandomCrop} fills. Integer shifts and flips
 * alone copy pixels exactly. Then brightness adds one offset to the whole sample and contrast scales each
 * channel about its mean. Values are not clipped, since data may already be standardised.
 *
 * @param horizontalFlip     mirror left-right with probability 1/2
 * @param cropPadding        pad by this many pixels (zeros) and crop back to the original size at a random
 *                           offset: an integer shift of up to ±cropPadding pixels on each axis; 0 for none
 * @param maxRotationDegrees rotate by an angle uniform in ±this; 0 for none
 * @param maxTranslation     shift by up to this fraction of the height and width (uniform, sub-pixel); 0 for none
 * @param maxBrightness      add a value uniform in ±this to every feature; 0 for none
 * @param maxContrast        scale each channel about its mean by a factor uniform in [1 - this, 1 + this]; 0 for none
 */
public record ImageAugmentation(boolean horizontalFlip, int cropPadding, double maxRotationDegrees, double maxTranslation,
                                double maxBrightness, double maxContrast) implements Augmentation {
    public ImageAugmentation {
        if (cropPadding < 0) throw new IllegalArgumentException("cropPadding must be >= 0 pixels, got " + cropPadding);
        if (!(maxRotationDegrees >= 0 && maxRotationDegrees <= 180)) {
            throw new IllegalArgumentException("maxRotationDegrees must be in [0, 180], got " + maxRotationDegrees);
        }
        if (!(maxTranslation >= 0 && maxTranslation < 1)) {
            throw new IllegalArgumentException("maxTranslation is a fraction of the image size in [0, 1), got " + maxTranslation);
        }
        if (!(maxBrightness >= 0) || Double.isInfinite(maxBrightness)) {
            throw new IllegalArgumentException("maxBrightness must be finite and >= 0, got " + maxBrightness);
        }
        if (!(maxContrast >= 0 && maxContrast < 1)) {
            throw new IllegalArgumentException("maxContrast must be in [0, 1) so the factor stays positive, got " + maxContrast);
        }
    }

    /** No augmentation; add what you want with the {@code with} methods. */
    public static ImageAugmentation none() {
        return new ImageAugmentation(false, 0, 0, 0, 0, 0);
    }

    /** The CIFAR standard: random horizontal flips and 4-pixel pad-and-crop. */
    public static ImageAugmentation cifar() {
        return none().withHorizontalFlip(true).withCropPadding(4);
    }

    public ImageAugmentation withHorizontalFlip(boolean v) {
        return new ImageAugmentation(v, cropPadding, maxRotationDegrees, maxTranslation, maxBrightness, maxContrast);
    }

    public ImageAugmentation withCropPadding(int v) {
        return new ImageAugmentation(horizontalFlip, v, maxRotationDegrees, maxTranslation, maxBrightness, maxContrast);
    }

    public ImageAugmentation withMaxRotationDegrees(double v) {
        return new ImageAugmentation(horizontalFlip, cropPadding, v, maxTranslation, maxBrightness, maxContrast);
    }

    public ImageAugmentation withMaxTranslation(double v) {
        return new ImageAugmentation(horizontalFlip, cropPadding, maxRotationDegrees, v, maxBrightness, maxContrast);
    }

    public ImageAugmentation withMaxBrightness(double v) {
        return new ImageAugmentation(horizontalFlip, cropPadding, maxRotationDegrees, maxTranslation, v, maxContrast);
    }

    public ImageAugmentation withMaxContrast(double v) {
        return new ImageAugmentation(horizontalFlip, cropPadding, maxRotationDegrees, maxTranslation, maxBrightness, v);
    }

    private boolean geometric() {
        return horizontalFlip || cropPadding > 0 || maxRotationDegrees > 0 || maxTranslation > 0;
    }

    @Override
    public void applyInPlace(float[] batch, int count, int[] sampleShape, Rng rng) {
        if (sampleShape.length != 2 && sampleShape.length != 3) {
            throw new IllegalArgumentException("image augmentation needs samples of shape (H, W) or (H, W, C), got " + Shape.str(sampleShape));
        }
        int h = sampleShape[0];
        int w = sampleShape[1];
        int c = sampleShape.length == 3 ? sampleShape[2] : 1;
        int size = h * w * c;
        if (batch.length < (long) count * size) {
            throw new IllegalArgumentException("batch has " + batch.length + " values, fewer than " + count + " samples of " + Shape.str(sampleShape));
        }
        float[] scratch = geometric() ? new float[size] : null;
        for (int i = 0; i < count; i++) {
            int off = i * size;
            if (scratch != null) warp(batch, off, h, w, c, scratch, rng);
            if (maxBrightness > 0) {
                float delta = (float) rng.uniform(-maxBrightness, maxBrightness);
                for (int k = off; k < off + size; k++) batch[k] += delta;
            }
            if (maxContrast > 0) contrast(batch, off, h * w, c, (float) rng.uniform(1 - maxContrast, 1 + maxContrast));
        }
    }

    /** One sample's geometric transform, through {@code scratch}. */
    private void warp(float[] x, int off, int h, int w, int c, float[] scratch, Rng rng) {
        boolean flip = horizontalFlip && rng.uniform() < 0.5;
        double angle = maxRotationDegrees > 0 ? Math.toRadians(rng.uniform(-maxRotationDegrees, maxRotationDegrees)) : 0;
        double tx = maxTranslation > 0 ? rng.uniform(-maxTranslation, maxTranslation) * w : 0;
        double ty = maxTranslation > 0 ? rng.uniform(-maxTranslation, maxTranslation) * h : 0;
        if (cropPadding > 0) {
            // A crop at offset o of the zero-padded image shows input pixel (out + o - pad): a shift by pad - o.
            tx += cropPadding - rng.nextInt(2 * cropPadding + 1);
            ty += cropPadding - rng.nextInt(2 * cropPadding + 1);
        }
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        double cx = (w - 1) / 2.0;
        double cy = (h - 1) / 2.0;
        for (int y = 0; y < h; y++) {
            for (int xo = 0; xo < w; xo++) {
                // Output → input: undo the translation, then the rotation about the centre, then the flip.
                double u = xo - tx - cx;
                double v = y - ty - cy;
                double xs = cx + cos * u + sin * v;
                double ys = cy - sin * u + cos * v;
                if (flip) xs = w - 1 - xs;
                sample(x, off, h, w, c, xs, ys, scratch, (y * w + xo) * c);
            }
        }
        System.arraycopy(scratch, 0, x, off, h * w * c);
    }

    /** Bilinear sample at (xs, ys), reading 0 outside the image; exact at integer coordinates. */
    private static void sample(float[] x, int off, int h, int w, int c, double xs, double ys, float[] out, int o) {
        // Round away float noise from cos/sin so integer shifts and flips copy pixels exactly.
        double rx = Math.rint(xs);
        double ry = Math.rint(ys);
        if (Math.abs(xs - rx) < 1e-9) xs = rx;
        if (Math.abs(ys - ry) < 1e-9) ys = ry;
        int x0 = (int) Math.floor(xs);
        int y0 = (int) Math.floor(ys);
        float fx = (float) (xs - x0);
        float fy = (float) (ys - y0);
        for (int k = 0; k < c; k++) {
            float a = at(x, off, h, w, c, y0, x0, k);
            float b = fx == 0 ? 0 : at(x, off, h, w, c, y0, x0 + 1, k);
            float d = fy == 0 ? 0 : at(x, off, h, w, c, y0 + 1, x0, k);
            float e = fx == 0 || fy == 0 ? 0 : at(x, off, h, w, c, y0 + 1, x0 + 1, k);
            out[o + k] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
        }
    }

    private static float at(float[] x, int off, int h, int w, int c, int y, int xx, int k) {
        return y < 0 || y >= h || xx < 0 || xx >= w ? 0f : x[off + (y * w + xx) * c + k];
    }

    private static void contrast(float[] x, int off, int pixels, int c, float factor) {
        for (int k = 0; k < c; k++) {
            double mean = 0;
            for (int p = 0; p < pixels; p++) mean += x[off + p * c + k];
            float m = (float) (mean / pixels);
            for (int p = 0; p < pixels; p++) x[off + p * c + k] = (x[off + p * c + k] - m) * factor + m;
        }
    }
}
