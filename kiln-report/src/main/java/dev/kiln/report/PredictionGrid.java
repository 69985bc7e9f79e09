package dev.kiln.report;

import dev.kiln.core.Shape;
import dev.kiln.data.Dataset;
import dev.kiln.data.image.Images;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * A grid of images with the predicted class (and its probability) and the true class under each;
 * misclassified images get a red frame and red text, so errors stand out at a glance.
 */
public final class PredictionGrid {
    private static final Color WRONG = new Color(214, 39, 40);
    private static final Color RIGHT = new Color(44, 120, 44);
    private static final int TILE = 112;     // image area per tile, pixels
    private static final int CAPTION = 40;
    private static final int GAP = 12;

    private PredictionGrid() {}

    /**
     * The first {@code count} samples of {@code data} (fewer if it is smaller) with their predictions.
     * Samples must be images: {@code (H, W)}, {@code (H, W, 1)}, {@code (H, W, 3)}, or a square grey vector;
     * values are shown as [0, 1] intensities (clamped).
     *
     * @param predictions predictions for at least the first {@code count} samples
     */
    public static BufferedImage render(Dataset data, Predictions predictions, int count, String title) {
        if (count < 1) throw new IllegalArgumentException("the grid needs at least 1 image, got " + count);
        int n = Math.min(count, data.size());
        if (predictions.size() < n) throw new IllegalArgumentException(predictions.size() + " predictions for " + n + " images");
        int[] hwc = imageShape(data.sampleShape());
        int cols = (int) Math.ceil(Math.sqrt(n));
        int rows = (n + cols - 1) / cols;
        int tileW = TILE + GAP;
        int tileH = TILE + CAPTION + GAP;
        int header = 56;
        int wrong = 0;
        for (int i = 0; i < n; i++) if (predictions.classes()[i] != data.label(i)) wrong++;
        String heading = (title == null || title.isBlank() ? "Predictions" : title)
                + String.format(Locale.ROOT, ": %d images, %d misclassified (red)", n, wrong);
        Font headingFont = new Font(Font.SANS_SERIF, Font.BOLD, 16);
        int headingWidth = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics().getFontMetrics(headingFont).stringWidth(heading);
        int width = Math.max(Math.max(cols * tileW + GAP, 420), headingWidth + 2 * GAP);   // never cut the heading off
        int height = header + rows * tileH + GAP;
        List<String> names = data.classNames();
        float[] x = data.features().toFloatArray();
        int size = data.sampleSize();

        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(headingFont);
        g.drawString(heading, GAP, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.DARK_GRAY);
        g.drawString("under each image: predicted class (probability) / true class", GAP, 44);

        Font caption = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        for (int i = 0; i < n; i++) {
            int x0 = GAP + (i % cols) * tileW;
            int y0 = header + (i / cols) * tileH;
            BufferedImage sample = Images.toImage(x, i * size, hwc[0], hwc[1], hwc[2]);
            // Nearest-neighbour scaling keeps small images' pixels sharp, as people expect to see MNIST.
            double scale = Math.min((double) TILE / hwc[0], (double) TILE / hwc[1]);
            int dw = (int) Math.round(hwc[1] * scale);
            int dh = (int) Math.round(hwc[0] * scale);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.drawImage(sample, x0 + (TILE - dw) / 2, y0 + (TILE - dh) / 2, dw, dh, null);
            int p = predictions.classes()[i];
            int t = data.label(i);
            boolean ok = p == t;
            g.setColor(ok ? new Color(200, 200, 200) : WRONG);
            g.setStroke(new BasicStroke(ok ? 1f : 4f));
            g.drawRect(x0 - 2, y0 - 2, TILE + 3, TILE + 3);
            g.setFont(caption);
            FontMetrics fm = g.getFontMetrics();
            g.setColor(ok ? RIGHT : WRONG);
            g.drawString(fit(name(names, p) + String.format(Locale.ROOT, " (%.0f%%)", 100 * predictions.probabilities()[i]), fm), x0, y0 + TILE + 16);
            g.setColor(ok ? Color.DARK_GRAY : WRONG);
            g.drawString(fit("true: " + name(names, t), fm), x0, y0 + TILE + 32);
        }
        g.dispose();
        return img;
    }

    private static String fit(String s, FontMetrics fm) {
        if (fm.stringWidth(s) <= TILE + GAP - 2) return s;
        while (s.length() > 1 && fm.stringWidth(s + "…") > TILE + GAP - 2) s = s.substring(0, s.length() - 1);
        return s + "…";
    }

    private static String name(List<String> names, int c) {
        return c >= 0 && c < names.size() ? names.get(c) : Integer.toString(c);
    }

    /** Whether samples of this shape can be drawn: (H, W), (H, W, 1), (H, W, 3) or a square grey vector. */
    public static boolean isImage(int[] s) {
        if (s.length == 2) return true;
        if (s.length == 3) return s[2] == 1 || s[2] == 3;
        if (s.length != 1) return false;
        int side = (int) Math.round(Math.sqrt(s[0]));
        return side * side == s[0] && side > 1;
    }

    /** (H, W, C) of a sample shape that is an image, or an error saying why not. */
    static int[] imageShape(int[] s) {
        if (s.length == 2) return new int[] {s[0], s[1], 1};
        if (s.length == 3 && (s[2] == 1 || s[2] == 3)) return s.clone();
        if (s.length == 1 && isImage(s)) {
            int side = (int) Math.round(Math.sqrt(s[0]));
            if (side * side == s[0]) return new int[] {side, side, 1};
        }
        throw new IllegalArgumentException("samples of shape " + Shape.str(s) + " are not images (H, W), (H, W, 1), (H, W, 3) or a square "
                + "grey vector, so they cannot be drawn in a prediction grid");
    }
}
