package dev.trapdoor.cpu;

/**
 * AT&T-syntax disassembly in the spelling of GNU objdump ({@code -M i386} for 32-bit code,
 * {@code -M i8086} for 16-bit), driven by the same {@link OpcodeTable} rows the executor runs.
 */
public final class Disassembler {
    private static final String[] R8 = {"al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"};
    private static final String[] R16 = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
    private static final String[] R32 = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    private static final String[] SREG = {"es", "cs", "ss", "ds", "fs", "gs", "?", "?"};

    private Disassembler() {}

    /** Decodes one instruction from code[at...] whose first byte is at EIP eip; returns its text. */
    public static String disassemble(byte[] code, int at, int eip, boolean code32) {
        Insn d = new Insn();
        if (!decode(d, code, at, eip, code32)) return "(bad)";
        return format(d, eip);
    }

    /** Decodes into d; false if the bytes run out or exceed 15. */
    public static boolean decode(Insn d, byte[] code, int at, int eip, boolean code32) {
        int[] missing = {0};
        Decoder.CodeSource src = a -> {
            int i = at + (a - eip);
            if (i < 0 || i >= code.length) { missing[0] = 1; return 0; }
            return code[i] & 0xff;
        };
        return Decoder.decode(d, src, eip, code32) && missing[0] == 0;
    }

    /** A listing of every instruction in code, one per line, as "addr: text". */
    public static String listing(byte[] code, int eip, boolean code32) {
        StringBuilder sb = new StringBuilder();
        Insn d = new Insn();
        int at = 0;
        while (at < code.length) {
            int pc = eip + at;
            if (!decode(d, code, at, pc, code32)) {
                sb.append(String.format("%x:\t(bad)%n", pc));
                break;
            }
            sb.append(String.format("%x:\t%s%n", pc, format(d, pc)));
            at += d.len;
        }
        return sb.toString();
    }

    /** The text of a decoded instruction at eip. */
    public static String format(Insn d, int eip) {
        Row row = d.row;
        if (!row.defined() || row.mnemonic.equals("(bad)")) return "(bad)";
        if (row.has(Row.MEM_ONLY) && d.mod == 3) return "(bad)"; // lea, les, bound, lcall/ljmp m16:32 ... with a register: #UD
        if (row.op == Ops.X87 && d.mod == 3) {
            int k = d.sub - X87Syntax.REGISTER_FORMS;
            return X87Syntax.registerForm(k >>> 3, k & 7, d.rm);
        }
        int modeSize = d.code32 ? 4 : 2;
        String name = row.mnemonic(d.osize);
        // The environment and state images follow the operand size; objdump marks the other one with 's' or 'l'.
        if (row.op == Ops.X87 && d.osize != modeSize && (d.sub == 12 || d.sub == 14 || d.sub == 44 || d.sub == 46)) name += d.osize == 2 ? "s" : "l";
        if (d.op == Ops.JCXZ) name = d.asize == 2 ? "jcxz" : "jecxz";
        if (row == OpcodeTable.ONE_BYTE[0x90]) {
            if (d.rep == 0xf3) return "pause";
            if (d.osize != modeSize) return d.code32 ? "xchg   %ax,%ax" : "xchg   %eax,%eax";
        }
        boolean sizedReg = false, memory = false;
        for (Operand o : row.operands) {
            if (o.sizedRegister()) sizedReg = true;
            if (o.memoryOnly() || (isE(o) && d.mod != 3)) memory = true;
        }
        if (row.has(Row.SUFFIX)) {
            name += suffix(d.osize);
        } else if (row.has(Row.STACK)) {
            if (d.osize != modeSize && !sizedReg) name += suffix(d.osize);
        } else if (!row.has(Row.NO_SUFFIX) && memory && !sizedReg) {
            name += suffix(d.size);
        }
        name = prefixes(d) + name;

        StringBuilder ops = new StringBuilder();
        if (row.op == Ops.XLAT) {
            ops.append(segPrefix(d, 3)).append(d.asize == 4 ? "(%ebx)" : "(%bx)");
        } else {
            Operand[] os = row.operands;
            boolean reverse = row.op != Ops.ENTER && row.op != Ops.BOUND; // objdump keeps Intel order for these two
            int immIndex = 0;
            for (int k = 0; k < os.length; k++) {
                int i = reverse ? os.length - 1 - k : k;
                Operand o = os[i];
                if (o == Operand.ONE) continue;
                int immSlot = o.immediateBytes(d.osize, d.asize) > 0 && o != Operand.Ob && o != Operand.Ov ? immIndex(os, i) : 0;
                String s = operand(d, o, eip, immSlot);
                if (ops.length() > 0) ops.append(',');
                ops.append(s);
            }
        }
        if (ops.length() == 0) return name;
        return String.format("%-6s %s", name, ops);
    }

    /** lock/rep and a segment override that no memory operand shows, as objdump prints them before the mnemonic. */
    private static String prefixes(Insn d) {
        Row row = d.row;
        StringBuilder pre = new StringBuilder();
        if (d.lock) pre.append("lock ");
        if (d.rep != 0) {
            if (row.has(Row.STRING_OP) && !row.has(Row.REPZ) && d.rep == 0xf3) pre.append("rep ");
            else pre.append(d.rep == 0xf3 ? "repz " : "repnz ");
        }
        // The override shows in a memory operand or a DS:(E)SI string source; otherwise objdump names the unused prefix.
        boolean shown = row.op == Ops.XLAT || (d.mem && d.mod != 3 && row.op == Ops.X87);
        for (Operand o : row.operands) {
            switch (o) {
                case M, Mp, Ms, Ob, Ov, Xb, Xv -> shown = true;
                case Eb, Ew, Ed, Ev -> shown |= d.mod != 3;
                default -> { }
            }
        }
        if (d.segOverride >= 0 && !shown) pre.append(SREG[d.segOverride]).append(' ');
        return pre.toString();
    }

    private static int immIndex(Operand[] os, int i) {
        int k = 0;
        for (int j = 0; j < i; j++) {
            Operand o = os[j];
            if (o.immediateBytes(4, 4) > 0 && o != Operand.Ob && o != Operand.Ov) k++;
        }
        return k;
    }

    private static boolean isE(Operand o) {
        return o == Operand.Eb || o == Operand.Ew || o == Operand.Ed || o == Operand.Ev;
    }

    private static String suffix(int size) {
        return size == 1 ? "b" : size == 2 ? "w" : "l";
    }

    private static String reg(int r, int size) {
        return "%" + (size == 1 ? R8[r] : size == 2 ? R16[r] : R32[r]);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static String imm(int v, int size) {
        long m = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffL;
        return "$" + hex(v & m);
    }

    private static String segPrefix(Insn d, int defaultSeg) {
        int s = d.segOverride >= 0 ? d.segOverride : defaultSeg;
        return "%" + SREG[s] + ":";
    }

    private static String operand(Insn d, Operand o, int eip, int immSlot) {
        int v = immSlot == 0 ? d.imm : d.imm2;
        String ind = d.row.has(Row.INDIRECT) ? "*" : "";
        return switch (o) {
            case Eb -> d.mod == 3 ? reg(d.rm, 1) : memory(d);
            case Ew -> d.mod == 3 ? reg(d.rm, 2) : memory(d);
            case Ed -> d.mod == 3 ? reg(d.rm, 4) : memory(d);
            case Ev -> ind + (d.mod == 3 ? reg(d.rm, d.osize) : memory(d));
            case M, Ms -> memory(d);
            case Mp -> ind + memory(d);
            case Gb -> reg(d.reg, 1);
            case Gw -> reg(d.reg, 2);
            case Gv -> reg(d.reg, d.osize);
            case Gd -> reg(d.reg, 4);
            case Rd -> reg(d.rm, 4);
            case Cd -> "%cr" + d.reg;
            case Dd -> "%db" + d.reg;
            case Sw -> "%" + SREG[d.reg];
            case Ib -> imm(v, 1);
            case Iw -> imm(v, 2);
            case Iz, Iv, Ibs -> imm(v, d.size == 1 ? 1 : d.osize);
            case Jb, Jz -> {
                int target = eip + d.len + v;
                if (d.osize == 2) target &= 0xffff;
                yield hex(target & 0xffffffffL);
            }
            case Ap -> "$" + hex(d.imm2 & 0xffff) + ",$" + hex(d.imm & (d.osize == 2 ? 0xffffL : 0xffffffffL));
            case Ob, Ov -> (d.segOverride >= 0 ? segPrefix(d, 3) : "") + hex(d.disp & (d.asize == 2 ? 0xffffL : 0xffffffffL));
            case Zb -> reg(d.rm, 1);
            case Zv -> reg(d.rm, d.osize);
            case AL -> "%al";
            case CL -> "%cl";
            case DX -> "(%dx)";
            case eAX -> reg(0, d.osize);
            case ONE -> "";
            case Xb, Xv -> segPrefix(d, 3) + (d.asize == 4 ? "(%esi)" : "(%si)");
            case Yb, Yv -> "%es:" + (d.asize == 4 ? "(%edi)" : "(%di)");
            case ES, CS, SS, DS, FS, GS -> "%" + o.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String memory(Insn d) {
        StringBuilder sb = new StringBuilder();
        if (d.segOverride >= 0) sb.append(segPrefix(d, d.segOverride));
        String[] regs = d.asize == 4 ? R32 : R16;
        // A SIB byte without an index prints %eiz unless it is the plain (%esp) form (scale 1, base ESP), as objdump does.
        boolean hasBase = d.base >= 0, hasIndex = d.index >= 0 || (d.sib && (d.base != 4 || d.scale != 0));
        if (d.dispBytes > 0) {
            if (!hasBase && !hasIndex) {
                // objdump prints a lone disp16 signed, a lone disp32 unsigned
                sb.append(d.asize == 2 ? (d.disp << 16 >> 16 < 0 ? "-" + hex(-(d.disp << 16 >> 16)) : hex(d.disp & 0xffff))
                        : hex(d.disp & 0xffffffffL));
            } else {
                sb.append(d.disp < 0 ? "-" + hex(-(long) d.disp) : hex(d.disp));
            }
        }
        if (hasBase || hasIndex) {
            sb.append('(');
            if (hasBase) sb.append('%').append(regs[d.base]);
            if (hasIndex) {
                sb.append(",%").append(d.index >= 0 ? regs[d.index] : "eiz");
                if (d.asize == 4) sb.append(',').append(1 << d.scale);
            }
            sb.append(')');
        }
        return sb.toString();
    }
}
