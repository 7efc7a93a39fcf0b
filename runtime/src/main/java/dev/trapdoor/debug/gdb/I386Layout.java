package dev.trapdoor.debug.gdb;

import java.nio.charset.StandardCharsets;

/**
 * GDB's register numbering for i386 (the org.gnu.gdb.i386.core feature as GDB's
 * features/i386/32bit-core.xml lays it out): eight GPRs in Intel encoding order, eip, eflags, six
 * segment selectors as 32-bit slots, st0-st7 as 80-bit extended reals (in stack order, ST(i)),
 * then the x87 control registers. One table feeds the g/G/p/P byte offsets and the target
 * description that gdb reads with qXfer:features:read, so the two cannot disagree.
 */
public final class I386Layout {
    public static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
    public static final int EIP = 8, EFLAGS = 9;
    public static final int CS = 10, SS = 11, DS = 12, ES = 13, FS = 14, GS = 15;
    public static final int ST0 = 16;
    public static final int FCTRL = 24, FSTAT = 25, FTAG = 26, FISEG = 27, FIOFF = 28, FOSEG = 29, FOOFF = 30, FOP = 31;
    public static final int COUNT = 32;

    /** One register: its name, width in bits, tdesc type and optional group. */
    public record Register(String name, int bits, String type, String group) {
        public int bytes() {
            return bits / 8;
        }
    }

    private static final Register[] REGS = new Register[COUNT];
    private static final int[] OFFSETS = new int[COUNT + 1];

    static {
        String[] gpr = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
        for (int i = 0; i < 8; i++) {
            REGS[i] = new Register(gpr[i], 32, i == ESP || i == EBP ? "data_ptr" : "int32", null);
        }
        REGS[EIP] = new Register("eip", 32, "code_ptr", null);
        REGS[EFLAGS] = new Register("eflags", 32, "i386_eflags", null);
        String[] seg = {"cs", "ss", "ds", "es", "fs", "gs"};
        for (int i = 0; i < 6; i++) REGS[CS + i] = new Register(seg[i], 32, "int32", null);
        for (int i = 0; i < 8; i++) REGS[ST0 + i] = new Register("st" + i, 80, "i387_ext", null);
        String[] fpc = {"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"};
        for (int i = 0; i < 8; i++) REGS[FCTRL + i] = new Register(fpc[i], 32, "int", "float");
        for (int i = 0; i < COUNT; i++) OFFSETS[i + 1] = OFFSETS[i] + REGS[i].bytes();
    }

    /** Bytes of a full register file (a g packet carries twice as many hex digits). */
    public static final int SIZE = OFFSETS[COUNT];

    /** EFLAGS bits that GDB's i386_eflags flags type names (SDM Vol. 1 Figure 3-8). */
    private static final String[][] EFLAGS_FIELDS = {
        {"CF", "0"}, {"", "1"}, {"PF", "2"}, {"AF", "4"}, {"ZF", "6"}, {"SF", "7"}, {"TF", "8"},
        {"IF", "9"}, {"DF", "10"}, {"OF", "11"}, {"NT", "14"}, {"RF", "16"}, {"VM", "17"},
        {"AC", "18"}, {"VIF", "19"}, {"VIP", "20"}, {"ID", "21"},
    };

    private static final byte[] TARGET_XML = buildTargetXml().getBytes(StandardCharsets.US_ASCII);

    private I386Layout() {}

    public static Register register(int n) {
        return REGS[n];
    }

    public static int offset(int n) {
        return OFFSETS[n];
    }

    public static int size(int n) {
        return REGS[n].bytes();
    }

    /** The target description document served as target.xml. */
    public static byte[] targetXml() {
        return TARGET_XML.clone();
    }

    static byte[] targetXmlShared() {
        return TARGET_XML;
    }

    private static String buildTargetXml() {
        StringBuilder x = new StringBuilder(4096);
        x.append("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n");
        x.append("  <architecture>i386</architecture>\n");
        x.append("  <feature name=\"org.gnu.gdb.i386.core\">\n");
        x.append("    <flags id=\"i386_eflags\" size=\"4\">\n");
        for (String[] f : EFLAGS_FIELDS) {
            x.append("      <field name=\"").append(f[0]).append("\" start=\"").append(f[1])
                .append("\" end=\"").append(f[1]).append("\"/>\n");
        }
        x.append("    </flags>\n");
        for (int i = 0; i < COUNT; i++) {
            Register r = REGS[i];
            x.append("    <reg name=\"").append(r.name()).append("\" bitsize=\"").append(r.bits())
                .append("\" type=\"").append(r.type()).append('"');
            if (i == 0) x.append(" regnum=\"0\"");
            if (r.group() != null) x.append(" group=\"").append(r.group()).append('"');
            x.append("/>\n");
        }
        x.append("  </feature>\n</target>\n");
        return x.toString();
    }
}
