package dev.trapdoor.experiment;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.style.AxesChartStyler;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * A chart made by {@link Plots}, written as PNG or SVG. The XChart object is built when written,
 * at the size asked for then, so {@link #size}, {@link #logX} and {@link #logY} may be called in
 * any order. {@link #style} reaches XChart's styler for anything else.
 */
public final class Chart {
    /** Builds the XChart chart at a width and height. */
    interface Recipe {
        org.knowm.xchart.internal.chartpart.Chart<?, ?> build(int width, int height);
    }

    private final Recipe recipe;
    private int width = 900;
    private int height = 560;
    private boolean logX;
    private boolean logY;
    private Consumer<org.knowm.xchart.internal.chartpart.Chart<?, ?>> style = c -> { };

    Chart(Recipe recipe) {
        this.recipe = recipe;
    }

    public Chart size(int width, int height) {
        if (width < 100 || height < 100 || width > 10_000 || height > 10_000) {
            throw new IllegalArgumentException("chart size " + width + "x" + height + " is outside 100..10000");
        }
        this.width = width;
        this.height = height;
        return this;
    }

    /** Logarithmic x axis (sweep and time-series charts; every x must then be positive). */
    public Chart logX() {
        logX = true;
        return this;
    }

    /** Logarithmic y axis (every y must then be positive). */
    public Chart logY() {
        logY = true;
        return this;
    }

    /** Runs a customisation on the XChart chart each time it is built. */
    public Chart style(Consumer<org.knowm.xchart.internal.chartpart.Chart<?, ?>> customise) {
        style = style.andThen(customise);
        return this;
    }

    /** The XChart chart as it would be written. */
    public org.knowm.xchart.internal.chartpart.Chart<?, ?> build() {
        Plots.headless();
        var c = recipe.build(width, height);
        if (c.getStyler() instanceof AxesChartStyler s) {
            if (logX) s.setXAxisLogarithmic(true);
            if (logY) s.setYAxisLogarithmic(true);
        } else if (logX || logY) {
            throw new IllegalStateException("this kind of chart has no axes to make logarithmic");
        }
        style.accept(c);
        return c;
    }

    /** Writes a PNG (parent directories made as needed); returns the path. */
    public Path png(Object path) {
        return write(path, out -> BitmapEncoder.saveBitmap(build(), out, BitmapEncoder.BitmapFormat.PNG));
    }

    /** Writes an SVG (parent directories made as needed); returns the path. */
    public Path svg(Object path) {
        return write(path, out -> VectorGraphicsEncoder.saveVectorGraphic(build(), out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG));
    }

    public byte[] pngBytes() {
        return bytes(out -> BitmapEncoder.saveBitmap(build(), out, BitmapEncoder.BitmapFormat.PNG));
    }

    public String svgText() {
        return new String(bytes(out -> VectorGraphicsEncoder.saveVectorGraphic(build(), out,
                VectorGraphicsEncoder.VectorGraphicsFormat.SVG)), java.nio.charset.StandardCharsets.UTF_8);
    }

    private interface Encoder {
        void encode(OutputStream out) throws IOException;
    }

    private static byte[] bytes(Encoder e) {
        var out = new ByteArrayOutputStream();
        try {
            e.encode(out);
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return out.toByteArray();
    }

    private static Path write(Object where, Encoder e) {
        Path p = OutputPath.withParents(OutputPath.of(where));
        // Encode fully first so a failing chart leaves no truncated file behind.
        byte[] data = bytes(e);
        try {
            Files.write(p, data);
        } catch (IOException x) {
            throw new UncheckedIOException("cannot write " + p + ": " + x.getMessage(), x);
        }
        return p;
    }
}
