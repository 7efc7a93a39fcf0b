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

    /** The executable sections of an ELF32 file. */
    void add(Path file) throws IOException, InterruptedException {
        Map<String, ElfSections.Section> sections = new LinkedHashMap<>();
        for (ElfSections.Section s : ElfSections.executable(file)) sections.put(s.name(), s);
        run(sections, file, "objdump", "-d", "-M", "i386", "--no-show-raw-insn", file.toString());
    }

    /** Raw 32-bit code (objdump -b binary), as if loaded at address 0. */
    void addRaw(byte[] code) throws IOException, InterruptedException {
        Path f = java.nio.file.Files.createTempFile("trapdoor-sweep", ".bin");
        try {
            java.nio.file.Files.write(f, code);
            run(Map.of(".data", new ElfSections.Section(".data", 0, code)), f,
                    "objdump", "-D", "-b", "binary", "-m", "i386", "--no-show-raw-insn", f.toString());
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }

    private void run(Map<String, ElfSections.Section> sections, Path file, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
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
        boolean bothInvalid = mnemonic(want).equals("(bad)") && mnemonic(got).equals("(bad)"); // objdump may add operands
        boolean lengthOk = length == objdumpLength || want.equals("(bad)");
        if ((got.equals(want) && lengthOk) || bothInvalid) {
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
        if (lengthOk && withoutPrefixes(want).equals(withoutPrefixes(got))) {
            return "objdump spells out unused or repeated prefixes (data16, addr16, segment, order): " + wm;
        }
        if (lengthOk && (want.contains(",pn ") || want.contains(",pt ") || want.startsWith("bnd ") || want.contains(" bnd ") || want.contains("xrelease ")
                || want.contains("xacquire ") || wm.equals("fnstenvs") || wm.equals("fldenvs") || wm.equals("fnsaves") || wm.equals("frstors") || wm.equals("loopw") || wm.equals("loopew") || wm.equals("loopnew")
                || wm.equals("jcxz") && gm.equals("jecxz"))) {
            return "objdump spells out a prefix as a hint or suffix (,pn ,pt bnd xacquire xrelease loopw): " + wm;
        }
        if (lengthOk && want.contains("data16") && wm.matches("j\\w+|loop\\w*|call|jecxz")) {
            return "data16 branch: we truncate the target to 16 bits as the CPU does (SDM Jcc: EIP AND FFFFh), objdump does not";
        }
        if (gm.equals("fwait")) return "objdump folds FWAIT into the x87 instruction after it: " + wm;
        if (lengthOk && want.matches(".*%cr(8|9|1[0-5]).*") && got.startsWith("lock ")) {
            return "LOCK MOV CRn: objdump shows AMD's CR8 alias, we decode #UD as Intel does";
        }
        if (wm.equals("(bad)") && got.matches("(rep\\w* )?\\S+.*")) {
            return "F2/F3 before a 0F opcode: objdump calls it (bad), the CPU ignores the prefix: " + gm;
        }
        if (lengthOk && !wm.equals(gm) && (got.contains("repz ") || got.contains("repnz "))) {
            return "F2/F3 before a 0F opcode: objdump names a later instruction (tzcnt, lzcnt, wbnoinvd), our CPU ignores the prefix: " + wm;
        }
        if (got.equals("(bad)")) {
            if (want.contains("%xmm") || want.contains("%mm")) return "SSE/MMX not in our table: " + wm;
            return "not in our opcode table: " + wm;
        }
        if (!lengthOk) return "length differs: " + wm + " / " + gm;
        if (!wm.equals(gm)) return "mnemonic: " + wm + " / " + gm;
        return "operands: " + wm;
    }

    private static final java.util.Set<String> PREFIX_WORDS = java.util.Set.of("data16", "addr16", "es", "cs", "ss", "ds", "fs", "gs",
            "lock", "rep", "repz", "repnz");

    /** The text without prefix words, and without the operand-less mnemonic's position (a sorted bag of the rest). */
    private static String withoutPrefixes(String t) {
        StringBuilder sb = new StringBuilder();
        for (String w : t.split(" ")) if (!PREFIX_WORDS.contains(w)) sb.append(w).append(' ');
        return sb.toString().trim();
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

    /**
     * Random instruction-shaped bytes: up to two prefixes, a one-byte or 0F opcode, a ModRM byte
     * and six more random bytes, n times over (objdump and we both resync at every instruction).
     */
    static byte[] sweep(long seed, int n) {
        java.util.Random rnd = new java.util.Random(seed);
        int[] prefixes = {0x66, 0x67, 0xf3, 0xf2, 0xf0, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65};
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int k = 0; k < n; k++) {
            for (int p = rnd.nextInt(4) == 0 ? rnd.nextInt(3) : 0; p > 0; p--) out.write(prefixes[rnd.nextInt(prefixes.length)]);
            if (rnd.nextInt(3) == 0) out.write(0x0f);
            for (int i = 0; i < 8; i++) out.write(rnd.nextInt(256));
        }
        return out.toByteArray();
    }

    /** {@code ObjdumpCorpus file...} (or {@code --sweep n seed}): the match rate and the categorized mismatches. */
    public static void main(String[] args) throws Exception {
        ObjdumpCorpus c = new ObjdumpCorpus();
        if (args.length > 0 && args[0].equals("--sweep")) {
            c.addRaw(sweep(args.length > 2 ? Long.decode(args[2]) : 1, Integer.parseInt(args[1])));
            System.out.print(c.report());
            return;
        }
        for (String f : args) c.add(Path.of(f));
        System.out.print(c.report());
    }
}
