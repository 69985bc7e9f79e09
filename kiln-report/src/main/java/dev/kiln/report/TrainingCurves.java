package dev.kiln.report;

import dev.kiln.nn.History;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Loss and accuracy per epoch, training against validation, as two line charts side by side (drawn with
 * XChart): the picture that shows over- and under-fitting at a glance. Metrics a history lacks are left out;
 * with no accuracy the loss chart stands alone.
 */
public final class TrainingCurves {
    static final Color TRAIN = new Color(31, 119, 180);        // matplotlib's first two colours, familiar to Keras users
    static final Color VALIDATION = new Color(255, 127, 14);
    static final int CHART_WIDTH = 640;
    static final int HEIGHT = 440;

    private TrainingCurves() {}

    /** The curves of {@code history}; {@code title} heads each chart (e.g. the run's name), or is empty. */
    public static BufferedImage render(History history, String title) {
        if (history.size() == 0) throw new IllegalArgumentException("the history has no epochs, so there is nothing to plot");
        List<BufferedImage> charts = new ArrayList<>();
        charts.add(chart(history, "loss", "Loss", title));
        if (history.metrics().contains("accuracy") || history.metrics().contains("val_accuracy")) {
            charts.add(chart(history, "accuracy", "Accuracy", title));
        }
        BufferedImage out = new BufferedImage(CHART_WIDTH * charts.size(), HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        for (int i = 0; i < charts.size(); i++) g.drawImage(charts.get(i), i * CHART_WIDTH, 0, null);
        g.dispose();
        return out;
    }

    private static BufferedImage chart(History history, String metric, String label, String title) {
        XYChart chart = new XYChart(CHART_WIDTH, HEIGHT);
        chart.setTitle((title == null || title.isBlank() ? "" : title + ": ") + label.toLowerCase(Locale.ROOT) + " per epoch");
        chart.setXAxisTitle("Epoch");
        chart.setYAxisTitle(label);
        var s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setPlotGridLinesColor(new Color(225, 225, 225));
        // Below the plot: inside it, the legend would hide the last epochs, where the curves end.
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setLegendBorderColor(Color.WHITE);
        s.setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        s.setXAxisDecimalPattern("#");
        s.setYAxisDecimalPattern(metric.equals("accuracy") ? "0.00" : "0.000");
        s.setMarkerSize(7);
        boolean any = add(chart, history, metric, "training", TRAIN);
        any |= add(chart, history, "val_" + metric, "validation", VALIDATION);
        if (!any) throw new IllegalArgumentException("the history has no finite " + metric + " values; it holds " + history.metrics());
        if (history.size() < 2) s.setXAxisMin(0.5).setXAxisMax(1.5);
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** One series of the finite values of {@code key}; false when there are none. */
    private static boolean add(XYChart chart, History history, String key, String name, Color color) {
        double[] v = history.get(key);
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int i = 0; i < v.length; i++) {
            if (Double.isFinite(v[i])) {
                xs.add(i + 1.0);
                ys.add(v[i]);
            }
        }
        if (xs.isEmpty()) return false;
        XYSeries series = chart.addSeries(name, xs, ys);
        series.setLineColor(color);
        series.setMarkerColor(color);
        series.setMarker(SeriesMarkers.CIRCLE);
        series.setLineStyle(new BasicStroke(2.5f));
        return true;
    }
}
