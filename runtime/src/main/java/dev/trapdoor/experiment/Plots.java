package dev.trapdoor.experiment;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The charts an experiment needs, drawn by XChart without a display:
 * <ul>
 * <li>{@link #histogram}: a bar per category (exit reason -> count);</li>
 * <li>{@link #timeSeries}: several series of y over x (counts per bucket of virtual time or exit sequence);</li>
 * <li>{@link #sweep}: a result against a parameter, one line per value of another parameter,
 *     each point the mean over its repetitions.</li>
 * </ul>
 */
public final class Plots {
    private static final int MANY_CATEGORIES = 6;
    private static final int DENSE_SERIES = 60;

    private Plots() { }

    /** AWT must know it has no display before its first use; a caller that already decided is left alone. */
    static void headless() {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** Bars of counts by category, in the map's order. */
    public static Chart histogram(String title, Map<String, ? extends Number> counts) {
        if (counts.isEmpty()) throw new IllegalArgumentException("histogram of nothing: no categories");
        List<String> names = new ArrayList<>(counts.size());
        List<Number> values = new ArrayList<>(counts.size());
        int longest = 0;
        for (Map.Entry<String, ? extends Number> e : counts.entrySet()) {
            String name = String.valueOf(e.getKey());
            names.add(name);
            values.add(e.getValue() == null ? 0 : e.getValue());
            longest = Math.max(longest, name.length());
        }
        boolean rotate = names.size() > MANY_CATEGORIES || longest * names.size() > 80;
        return new Chart((w, h) -> {
            CategoryChart c = new CategoryChartBuilder().width(w).height(h).title(title).xAxisTitle("").yAxisTitle("count").build();
            c.getStyler().setLegendVisible(false)
                    .setChartBackgroundColor(java.awt.Color.WHITE);
            // Counts written just above each bar, where a short bar still has room for them.
            c.getStyler().setLabelsVisible(names.size() <= 24);
            c.getStyler().setLabelsPosition(1.0);
            c.getStyler().setLabelsFontColorAutomaticEnabled(false);
            c.getStyler().setLabelsFontColor(java.awt.Color.DARK_GRAY);
            c.getStyler().setXAxisTitleVisible(false);
            if (rotate) c.getStyler().setXAxisLabelRotation(45);
            c.getStyler().setAvailableSpaceFill(0.7);
            c.addSeries("count", names, values);
            return c;
        });
    }

    /**
     * Lines of y over x, one per series (each series maps x to y). Series with no points are left
     * out; at least one must have points.
     */
    public static Chart timeSeries(String title, String xLabel, String yLabel,
                                   Map<String, ? extends Map<? extends Number, ? extends Number>> series) {
        Map<String, double[][]> data = new LinkedHashMap<>();
        series.forEach((name, points) -> {
            if (points == null || points.isEmpty()) return;
            TreeMap<Double, Double> sorted = new TreeMap<>();
            points.forEach((x, y) -> {
                if (x != null && y != null) sorted.put(x.doubleValue(), y.doubleValue());
            });
            if (!sorted.isEmpty()) data.put(String.valueOf(name), columns(sorted));
        });
        if (data.isEmpty()) throw new IllegalArgumentException("time series with no points");
        return xy(title, xLabel, yLabel, data);
    }

    /** Counts per bucket, one line per series; the y axis says the bucket width. */
    public static Chart timeSeries(String title, String xLabel, Buckets buckets) {
        return timeSeries(title, xLabel, "count per " + number(buckets.width()), buckets.series());
    }

    /**
     * A result y against a parameter x over the successful runs of a sweep, one line per value of
     * {@code seriesBy} (or a single line when it is null), each point the mean of y over the runs
     * sharing that x (repetitions). x must be numeric.
     */
    public static Chart sweep(Results results, String x, String y, String seriesBy) {
        Results ok = results.ok();
        Map<Object, Results> groups = seriesBy == null ? Map.of(y, ok) : ok.groupBy(seriesBy);
        Map<String, double[][]> data = new LinkedHashMap<>();
        for (Map.Entry<Object, Results> g : groups.entrySet()) {
            TreeMap<Double, double[]> acc = new TreeMap<>();   // x -> {sum, n}
            for (Run r : g.getValue().runs()) {
                Object xv = r.get(x);
                Object yv = r.get(y);
                if (!(xv instanceof Number xn)) {
                    if (xv == null) continue;
                    throw new IllegalArgumentException("sweep plot: x column " + x + " has a non-number: " + xv);
                }
                if (!(yv instanceof Number yn) || !Double.isFinite(yn.doubleValue())) continue;
                double[] a = acc.computeIfAbsent(xn.doubleValue(), k -> new double[2]);
                a[0] += yn.doubleValue();
                a[1]++;
            }
            if (acc.isEmpty()) continue;
            TreeMap<Double, Double> means = new TreeMap<>();
            acc.forEach((k, a) -> means.put(k, a[0] / a[1]));
            String name = seriesBy == null ? y : seriesBy + "=" + g.getKey();
            data.put(name, columns(means));
        }
        if (data.isEmpty()) throw new IllegalArgumentException("sweep plot: no run has both " + x + " and " + y);
        String title = y + " vs " + x + (seriesBy == null ? "" : " by " + seriesBy);
        return xy(title, x, y, data);
    }

    private static Chart xy(String title, String xLabel, String yLabel, Map<String, double[][]> data) {
        return new Chart((w, h) -> {
            XYChart c = new XYChartBuilder().width(w).height(h).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
            c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
            c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
            c.getStyler().setLegendVisible(data.size() > 1 || !data.containsKey(yLabel));
            c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            for (Map.Entry<String, double[][]> e : data.entrySet()) {
                XYSeries s = c.addSeries(e.getKey(), e.getValue()[0], e.getValue()[1]);
                if (e.getValue()[0].length > DENSE_SERIES) s.setMarker(SeriesMarkers.NONE);
            }
            return c;
        });
    }

    private static double[][] columns(TreeMap<Double, Double> m) {
        double[] xs = new double[m.size()];
        double[] ys = new double[m.size()];
        int i = 0;
        for (Map.Entry<Double, Double> e : m.entrySet()) {
            xs[i] = e.getKey();
            ys[i++] = e.getValue();
        }
        return new double[][] {xs, ys};
    }

    private static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
