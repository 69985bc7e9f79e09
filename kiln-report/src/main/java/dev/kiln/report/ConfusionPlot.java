package dev.kiln.report;

import dev.kiln.nn.metrics.ConfusionMatrix;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * A confusion matrix as a heatmap drawn with Java2D: rows are true classes, columns predicted classes (as in
 * {@link ConfusionMatrix}); each cell shows its count and is shaded by the share of its row, so a class's
 * recall is the darkness of its diagonal cell however many samples it has. XChart's heatmap colours by raw
 * count and cannot write numbers in the cells, hence plain Java2D here.
 */
public final class ConfusionPlot {
    private static final Color LOW = new Color(247, 251, 255);   // matplotlib's "Blues", light to dark
    private static final Color HIGH = new Color(8, 48, 107);

    private ConfusionPlot() {}

    public static BufferedImage render(ConfusionMatrix m, String title) {
        int n = m.numClasses();
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
        Font cellFont = new Font(Font.SANS_SERIF, Font.BOLD, n > 20 ? 9 : 13);
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 17);
        int cell = n <= 12 ? 58 : Math.max(18, 700 / n);
        FontMetrics fm = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics().getFontMetrics(labelFont);
        int longest = 0;
        for (String s : m.classNames()) longest = Math.max(longest, fm.stringWidth(s));
        int left = 40 + longest + 12;            // axis title, class names, gap
        int top = 64;
        int grid = cell * n;
        int bottom = (int) Math.ceil(longest * Math.sin(Math.toRadians(45))) + fm.getHeight() + 50;
        int width = Math.max(left + grid + 30, 520);
        int height = top + grid + bottom;

        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);

        g.setColor(Color.BLACK);
        g.setFont(titleFont);
        String heading = (title == null || title.isBlank() ? "Confusion matrix" : title) + String.format(Locale.ROOT,
                " (accuracy %.4f, %,d samples)", m.accuracy(), m.total());
        g.drawString(heading, Math.max(10, (width - g.getFontMetrics().stringWidth(heading)) / 2), 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.DARK_GRAY);
        String note = "cells: counts, shaded by the share of the true class (row)";
        g.drawString(note, Math.max(10, (width - g.getFontMetrics().stringWidth(note)) / 2), 48);

        for (int t = 0; t < n; t++) {
            long support = m.support(t);
            for (int p = 0; p < n; p++) {
                long count = m.count(t, p);
                double share = support == 0 ? 0 : (double) count / support;
                Color c = mix(LOW, HIGH, share);
                int x = left + p * cell;
                int y = top + t * cell;
                g.setColor(c);
                g.fillRect(x, y, cell, cell);
                if (n <= 30) {
                    g.setFont(cellFont);
                    g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                    String s = Long.toString(count);
                    FontMetrics cf = g.getFontMetrics();
                    g.drawString(s, x + (cell - cf.stringWidth(s)) / 2, y + (cell + cf.getAscent() - cf.getDescent()) / 2);
                }
            }
        }
        g.setColor(new Color(160, 160, 160));
        g.setStroke(new BasicStroke(1f));
        g.drawRect(left, top, grid, grid);

        g.setFont(labelFont);
        g.setColor(Color.BLACK);
        FontMetrics lf = g.getFontMetrics();
        for (int t = 0; t < n; t++) {
            String s = m.classNames().get(t);
            g.drawString(s, left - 8 - lf.stringWidth(s), top + t * cell + (cell + lf.getAscent() - lf.getDescent()) / 2);
        }
        AffineTransform saved = g.getTransform();
        for (int p = 0; p < n; p++) {
            String s = m.classNames().get(p);
            int x = left + p * cell + cell / 2;
            int y = top + grid + 10;
            g.rotate(Math.toRadians(-45), x, y);
            g.drawString(s, x - lf.stringWidth(s), y + lf.getAscent() / 2);
            g.setTransform(saved);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        FontMetrics af = g.getFontMetrics();
        String xTitle = "Predicted class";
        g.drawString(xTitle, left + (grid - af.stringWidth(xTitle)) / 2, height - 14);
        String yTitle = "True class";
        g.rotate(Math.toRadians(-90), 22, top + grid / 2.0);
        g.drawString(yTitle, 22 - af.stringWidth(yTitle) / 2, top + grid / 2 + af.getAscent() / 2);
        g.setTransform(saved);
        g.dispose();
        return img;
    }

    static Color mix(Color a, Color b, double t) {
        double u = Math.min(1, Math.max(0, t));
        return new Color((int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * u),
                (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * u),
                (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * u));
    }
}
