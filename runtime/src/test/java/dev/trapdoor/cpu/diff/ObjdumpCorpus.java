package dev.trapdoor.cpu.diff;

import dev.trapdoor.cpu.Disassembler;
import dev.trapdoor.cpu.Insn;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Our disassembler against GNU objdump on real code: objdump's linear sweep
 * ({@code objdump -d -M i386 --no-show-raw-insn}) gives each instruction's address and text;
 * at each of those addresses we decode the same section bytes and compare text and length
 * (so a disagreement never desynchronizes the rest). Mismatches are counted by category.
 */
final class ObjdumpCorpus {
    private static final Pattern INSN = Pattern.compile("^\\s*([0-9a-f]+):\\t(.*)$");
    private static final Pattern SECTION = Pattern.compile("^Disassembly of section (\\S+):$");
    private static final Pattern SYMBOL = Pattern.compile(" <[^>]*>");
    private static final Pattern BARE_TARGET = Pattern.compile("^((?:j\\w+|call|loop\\w*|jecxz|jcxz|xbegin)\\s+)([0-9a-f]+)$");
    private static final int EXAMPLES = 3;

    static final class Category {
        long count;
        final List<String> examples = new ArrayList<>();
    }

    long instructions, matches;
    final Map<String, Category> categories = new HashMap<>();

    void add(Path file) throws IOException, InterruptedException {
        Map<String, ElfSections.Section> sections = new LinkedHashMap<>();
        for (ElfSections.Section s : ElfSections.executable(file)) sections.put(s.name(), s);
        Process p = new ProcessBuilder("objdump", "-d", "-M", "i386", "--no-show-raw-insn", file.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<long[]> addrs = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        ElfSections.Section current = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                Matcher s = SECTION.matcher(line);
                if (s.matches()) {
                    flush(current, addrs, texts);
                    current = sections.get(s.group(1));
                    continue;
                }
                Matcher m = INSN.matcher(line);
                if (m.matches() && current != null) {
                    addrs.add(new long[] {Long.parseLong(m.group(1), 16)});
                    texts.add(m.group(2));
                }
            }
        }
        flush(current, addrs, texts);
        if (p.waitFor() != 0) throw new IOException("objdump failed on " + file);
    }

    private void flush(ElfSections.Section s, List<long[]> addrs, List<String> texts) {
        if (s != null) {
            Insn d = new Insn();
            for (int k = 0; k < addrs.size(); k++) {
                long a = addrs.get(k)[0];
                long next = k + 1 < addrs.size() ? addrs.get(k + 1)[0] : s.addr() + s.bytes().length;
                compare(s, d, (int) a, (int) (next - a), texts.get(k));
            }
        }
        addrs.clear();
        texts.clear();
    }

    private void compare(ElfSections.Section s, Insn d, int addr, int objdumpLength, String objdumpText) {
        String want = normalize(objdumpText);
        if (want.startsWith(".byte") || want.isEmpty()) return; // objdump's own give-up lines: not an instruction
        instructions++;
        int at = (int) (addr - s.addr());
        String got;
        int length;
        if (Disassembler.decode(d, s.bytes(), at, addr, true)) {
            got = normalize(Disassembler.format(d, addr));
            length = d.length();
        } else {
            got = "(bad)";
            length = -1;
        }
        boolean lengthOk = length == objdumpLength || want.equals("(bad)");
        if (got.equals(want) && lengthOk) {
            matches++;
            return;
        }
        String key = categorize(want, got, lengthOk);
        Category c = categories.computeIfAbsent(key, x -> new Category());
        c.count++;
        if (c.examples.size() < EXAMPLES) {
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < Math.max(1, objdumpLength) && at + i < s.bytes().length; i++) {
                hex.append(String.format("%02x ", s.bytes()[at + i] & 0xff));
            }
            c.examples.add(String.format("%x: %s| objdump: %s | ours: %s (len %d vs %d)", addr, hex, want, got, length, objdumpLength));
        }
    }

    static String normalize(String text) {
        String t = text;
        int hash = t.indexOf('#');
        if (hash >= 0) t = t.substring(0, hash);
        t = SYMBOL.matcher(t).replaceAll("");
        t = t.trim().replaceAll("\\s+", " ");
        Matcher m = BARE_TARGET.matcher(t);
        if (m.matches()) t = m.group(1) + "0x" + m.group(2);
        return t;
    }

    /** A category name: what objdump had where we differ, grouped by instruction family. */
    static String categorize(String want, String got, boolean lengthOk) {
        String wm = mnemonic(want), gm = mnemonic(got);
        if (got.equals("(bad)")) {
            if (want.contains("%xmm") || want.contains("%mm")) return "SSE/MMX not in our table: " + wm;
            if (wm.startsWith("f")) return "x87 not in our disassembler table: " + wm;
            return "we decode (bad), objdump: " + wm;
        }
        if (!lengthOk) return "length differs: " + wm + " / " + gm;
        if (!wm.equals(gm)) return "mnemonic: " + wm + " / " + gm;
        return "operands: " + wm;
    }

    private static String mnemonic(String t) {
        String[] w = t.split(" ");
        int i = 0;
        while (i < w.length - 1 && (w[i].equals("lock") || w[i].startsWith("rep") || w[i].matches("[cdefgs]s") || w[i].equals("data16") || w[i].equals("addr16"))) i++;
        return w[i];
    }

    String report() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("instructions %d, identical %d (%.3f%%)%n", instructions, matches, 100.0 * matches / Math.max(1, instructions)));
        categories.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().count, a.getValue().count)).forEach(e -> {
            sb.append(String.format("%8d  %s%n", e.getValue().count, e.getKey()));
            for (String x : e.getValue().examples) sb.append("            ").append(x).append('\n');
        });
        return sb.toString();
    }

    /** {@code ObjdumpCorpus file...}: the match rate and the categorized mismatches. */
    public static void main(String[] args) throws Exception {
        ObjdumpCorpus c = new ObjdumpCorpus();
        for (String f : args) c.add(Path.of(f));
        System.out.print(c.report());
    }
}
