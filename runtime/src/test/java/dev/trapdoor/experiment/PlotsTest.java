package dev.trapdoor.experiment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PlotsTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /** Set TRAPDOOR_PLOTS_DIR to keep the images for looking at. */
    private static Path out(Path tmp, String name) {
        String keep = System.getenv("TRAPDOOR_PLOTS_DIR");
        return (keep != null ? Path.of(keep) : tmp).resolve(name);
    }

    private static void assertPng(Path p, int w, int h) throws Exception {
        byte[] data = Files.readAllBytes(p);
        assertArrayEquals(PNG_MAGIC, java.util.Arrays.copyOf(data, 8));
        BufferedImage img = ImageIO.read(p.toFile());
        assertEquals(w, img.getWidth());
        assertEquals(h, img.getHeight());
        // Something is drawn: many distinct colours, not a blank canvas.
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < h; y += 3) for (int x = 0; x < w; x += 3) colours.add(img.getRGB(x, y));
        assertTrue(colours.size() > 20, "only " + colours.size() + " colours");
    }

    /** XChart draws text as outlines, so an SVG is checked for its root, size and drawn shapes. */
    private static void assertSvg(Path p, int w, int h, int minPaths) throws Exception {
        var factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        var builder = factory.newDocumentBuilder();
        builder.setEntityResolver((pub, sys) -> new org.xml.sax.InputSource(new java.io.StringReader("")));   // no DTD fetch
        var doc = builder.parse(p.toFile());
        var root = doc.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());
        assertEquals("0 0 " + w + " " + h, root.getAttribute("viewBox"));
        int paths = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "path").getLength();
        assertTrue(paths >= minPaths, "only " + paths + " paths");
    }

    @Test
    void histogramPngAndSvg(@TempDir Path tmp) throws Exception {
        Map<String, Number> counts = new LinkedHashMap<>();
        counts.put("IO_INSTRUCTION", 1834);
        counts.put("EPT_VIOLATION", 412);
        counts.put("CPUID", 37);
        counts.put("HLT", 5);
        counts.put("RDTSC", 120);
        counts.put("CR_ACCESS", 12);
        counts.put("EXCEPTION_NMI", 3);
        Chart c = Plots.histogram("Exits by reason", counts);
        assertPng(c.png(out(tmp, "histogram.png")), 900, 560);
        assertSvg(c.svg(out(tmp, "histogram.svg")), 900, 560, 30);
        assertPng(c.size(400, 300).png(out(tmp, "histogram-small.png")), 400, 300);
    }

    @Test
    void timeSeriesFromBuckets(@TempDir Path tmp) throws Exception {
        Buckets b = new Buckets(100);
        for (int t = 0; t < 5000; t += 7) b.add("IO_INSTRUCTION", t);
        for (int t = 0; t < 5000; t += 53) b.add("EPT_VIOLATION", t + 2000);
        b.add("HLT", 4999);
        var s = b.series();
        assertEquals(s.get("IO_INSTRUCTION").keySet(), s.get("HLT").keySet());
        assertEquals(0.0, s.get("HLT").get(0.0));
        assertEquals(1.0, s.get("HLT").get(4900.0));
        assertEquals(15.0, s.get("IO_INSTRUCTION").get(0.0));   // 0,7,...,98
        Chart c = Plots.timeSeries("Exits over virtual time", "virtual time (us)", b);
        assertPng(c.png(out(tmp, "timeseries.png")), 900, 560);
        assertSvg(c.svg(out(tmp, "timeseries.svg")), 900, 560, 30);
    }

    @Test
    void sweepCurveAveragesRepetitionsPerSeries(@TempDir Path tmp) throws Exception {
        Map<String, List<?>> g = new LinkedHashMap<>();
        g.put("n", List.of(10, 100, 1000, 10000));
        g.put("k", List.of(1, 2, 4));
        Results r = Sweep.over(g).repeat(2).parallelism(2).progress(Progress.silent())
                .run(p -> Map.of("cost", p.getDouble("n") * p.getInt("k") + p.repetition()));
        Chart c = Plots.sweep(r, "n", "cost", "k").logX().logY();
        assertPng(c.png(out(tmp, "sweep.png")), 900, 560);
        assertSvg(c.svg(out(tmp, "sweep.svg")), 900, 560, 30);
    }

    @Test
    void badInputsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Plots.histogram("t", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> Plots.timeSeries("t", "x", "y", Map.of("a", Map.of())));
        Results r = Sweep.over(Map.of("m", List.of("a", "b"))).parallelism(1).progress(Progress.silent()).run(p -> Map.of("y", 1));
        assertThrows(IllegalArgumentException.class, () -> Plots.sweep(r, "m", "y", null));
        assertThrows(IllegalStateException.class, () -> new Chart((w, h) -> new org.knowm.xchart.PieChart(w, h)).logY().build());
    }
}
