package dev.trapdoor.cpu.fpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Replays the vectors that resources/fpu/gen.c recorded on a real x87 (FNINIT, FLDCW, FLD b,
 * FLD a, one instruction, FNSAVE) through {@link X87} and compares ST0/ST1 (or the memory
 * operand) and the status word bit for bit. Transcendentals are compared within the ulp bound
 * that {@link FpTranscendental} documents.
 */
class ReferenceVectorsTest {

    /** Status-word bits compared: C3, C2, C1, C0, ES, SF and the six flags (TOP too). */
    private static final int SW_MASK = 0x7FFF;

    record Case(String op, int cw, String a, String b, String r0, String r1, int sw) {}

    static List<Case> load() throws IOException {
        List<Case> cases = new ArrayList<>();
        try (InputStream in = ReferenceVectorsTest.class.getResourceAsStream("/fpu/vectors.txt.gz");
             BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null) {
                String[] f = line.split(" ");
                cases.add(new Case(f[0], Integer.parseInt(f[1], 16), f[2], f[3], f[4], f[5], Integer.parseInt(f[6], 16)));
            }
        }
        return cases;
    }

    static int se(String hex20) {
        return Integer.parseInt(hex20.substring(0, 4), 16);
    }

    static long sig(String hex20) {
        return Long.parseUnsignedLong(hex20.substring(4), 16);
    }

    static String hex(int se, long sig) {
        return String.format("%04x%016x", se, sig);
    }

    @Test
    void realX87AgreesBitForBit() throws IOException {
        List<Case> cases = load();
        assertTrue(cases.size() > 50_000, "vectors present");
        Map<String, int[]> stats = new TreeMap<>();      // op -> {cases, mismatches}
        List<String> report = new ArrayList<>();
        Map<String, Integer> shown = new TreeMap<>();
        X87 fpu = new X87();
        for (Case c : cases) {
            String got = X87Replay.run(fpu, c);
            String want = X87Replay.expected(c);
            int[] s = stats.computeIfAbsent(c.op(), k -> new int[2]);
            s[0]++;
            if (got == null) continue;                    // within tolerance (transcendentals)
            if (!got.equals(want)) {
                s[1]++;
                int n = shown.merge(c.op(), 1, Integer::sum);
                if (n <= 4) report.add(c + "\n    want " + want + "\n    got  " + got);
            }
        }
        StringBuilder sb = new StringBuilder();
        int bad = 0, total = 0;
        for (var e : stats.entrySet()) {
            sb.append(String.format("%-8s %6d cases %5d mismatches%n", e.getKey(), e.getValue()[0], e.getValue()[1]));
            bad += e.getValue()[1];
            total += e.getValue()[0];
        }
        System.out.println(sb);
        System.out.println("total " + total + " cases, " + bad + " mismatches");
        report.forEach(System.out::println);
        System.out.println("transcendental max ulps: " + X87Replay.maxUlps
                + ", trigonometric cases with 2^20 <= |x| < 2^63 not compared: " + X87Replay.skipped);
        assertEquals(0, bad, "mismatches against the real x87:\n" + sb);
    }
}
