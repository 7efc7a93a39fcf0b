package dev.trapdoor.cpu;

/**
 * Decodes one instruction (SDM Vol. 2, chapter 2: prefixes, opcode, ModRM, SIB, displacement,
 * immediate) into an {@link Insn} using the rows of {@link OpcodeTable}. Undefined encodings decode
 * to the invalid row (handler UD); the executor turns that into #UD. Fetch faults propagate from
 * the {@link CodeSource} as the executor's fault signal.
 */
public final class Decoder {
    /** Bytes of the instruction stream addressed by (32-bit) EIP. */
    public interface CodeSource {
        int fetch(int eip);
    }

    /** SDM Vol. 2, 2.3.11: an instruction longer than 15 bytes is #GP(0). */
    public static final int MAX_LENGTH = 15;

    private static final int[] BASE16 = {3, 3, 5, 5, 6, 7, 5, 3};      // BX BX BP BP SI DI BP BX
    private static final int[] INDEX16 = {6, 7, 6, 7, -1, -1, -1, -1}; // SI DI SI DI

    private Decoder() {}

    /** Decodes at eip; returns false if the instruction exceeds 15 bytes (the caller raises #GP(0)). */
    public static boolean decode(Insn d, CodeSource src, int eip, boolean code32) {
        d.clear();
        d.code32 = code32;
        boolean opsizePrefix = false, adsizePrefix = false;
        int n = 0;
        int b;
        while (true) {
            if (n >= MAX_LENGTH) return false;
            b = src.fetch(eip + n++);
            switch (b) {
                case 0x66 -> opsizePrefix = true;
                case 0x67 -> adsizePrefix = true;
                case 0x26 -> d.segOverride = 0;
                case 0x2e -> d.segOverride = 1;
                case 0x36 -> d.segOverride = 2;
                case 0x3e -> d.segOverride = 3;
                case 0x64 -> d.segOverride = 4;
                case 0x65 -> d.segOverride = 5;
                case 0xf0 -> d.lock = true;
                case 0xf2, 0xf3 -> d.rep = b;
                default -> { }
            }
            if (!isPrefix(b)) break;
        }
        d.osize = code32 != opsizePrefix ? 4 : 2;
        d.asize = code32 != adsizePrefix ? 4 : 2;
        Row row;
        if (b == 0x0f) {
            if (n >= MAX_LENGTH) return false;
            b = src.fetch(eip + n++);
            row = OpcodeTable.TWO_BYTE[b];
        } else {
            row = OpcodeTable.ONE_BYTE[b];
        }
        int opcodeReg = b & 7;
        boolean modrm = row.group != null || needsModrm(row);
        if (modrm) {
            if (n >= MAX_LENGTH) return false;
            int m = src.fetch(eip + n++);
            d.mod = m >>> 6;
            d.reg = (m >>> 3) & 7;
            d.rm = m & 7;
            if (row.group != null) {
                row = (d.mod == 3 && row.groupMod3 != null) ? row.groupMod3[d.reg] : row.group[d.reg];
                if (row.op == Ops.VMCALL && d.rm != 1) row = OpcodeTable.INVALID; // 0F 01 C1 only
                else if (row == OpcodeTable.MONITOR_ROW) row = d.rm == 0 ? row : d.rm == 1 ? OpcodeTable.MWAIT_ROW : OpcodeTable.INVALID;
            }
            if (row.has(Row.FORCE_REG)) d.mod = 3;
            if (d.mod != 3) {
                n = d.asize == 4 ? modrm32(d, src, eip, n) : modrm16(d, src, eip, n);
                if (n < 0) return false;
                d.mem = true;
            }
        } else {
            d.rm = opcodeReg;
        }
        d.row = row;
        if (!modrm && row.operands.length > 0 && (row.operands[0] == Operand.AL || row.operands[0] == Operand.eAX)) d.rm = 0;
        d.op = row.op;
        d.sub = row.sub;
        d.size = d.osize;
        boolean first = true;
        for (Operand o : row.operands) {
            if (o.byteSized()) d.size = 1;
            int bytes = o.immediateBytes(d.osize, d.asize);
            if (bytes == 0) continue;
            if (n + bytes > MAX_LENGTH) return false;
            if (o == Operand.Ap) {
                d.imm = read(src, eip + n, d.osize);
                d.imm2 = read(src, eip + n + d.osize, 2);
            } else {
                int v = read(src, eip + n, bytes);
                if (o == Operand.Ibs || o == Operand.Jb) v = (byte) v;
                else if (o == Operand.Jz && bytes == 2) v = (short) v;
                if (o == Operand.Ob || o == Operand.Ov) {
                    d.mem = true;
                    d.disp = v;
                    d.dispBytes = bytes;
                } else if (first) {
                    d.imm = v;
                    first = false;
                } else {
                    d.imm2 = v;
                }
            }
            n += bytes;
        }
        if (n > MAX_LENGTH) return false;
        if (d.segOverride >= 0) d.seg = d.segOverride;
        if (d.row.has(Row.MEM_ONLY) && !d.mem) d.op = Ops.UD;
        // SDM Vol. 2, LOCK: #UD unless the instruction is lockable and its destination is memory.
        if (d.lock && !(row.has(Row.LOCKABLE) && d.mem)) d.op = Ops.UD;
        d.len = n;
        return true;
    }

    private static boolean isPrefix(int b) {
        return switch (b) {
            case 0x66, 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0xf0, 0xf2, 0xf3 -> true;
            default -> false;
        };
    }

    private static boolean needsModrm(Row row) {
        for (Operand o : row.operands) if (o.usesModrm()) return true;
        return false;
    }

    private static int read(CodeSource src, int at, int bytes) {
        int v = 0;
        for (int i = 0; i < bytes; i++) v |= src.fetch(at + i) << (8 * i);
        return v;
    }

    private static int modrm16(Insn d, CodeSource src, int eip, int n) {
        if (d.mod == 0 && d.rm == 6) {
            d.base = -1;
            d.disp = read(src, eip + n, 2);
            d.dispBytes = 2;
            d.seg = 3;
            return n + 2;
        }
        d.base = BASE16[d.rm];
        d.index = INDEX16[d.rm];
        d.seg = d.base == 5 ? 2 : 3;
        if (d.mod == 1) {
            d.disp = (byte) src.fetch(eip + n);
            d.dispBytes = 1;
            return n + 1;
        }
        if (d.mod == 2) {
            d.disp = (short) read(src, eip + n, 2);
            d.dispBytes = 2;
            return n + 2;
        }
        return n;
    }

    private static int modrm32(Insn d, CodeSource src, int eip, int n) {
        int rm = d.rm;
        d.seg = 3;
        if (rm == 4) {
            if (n >= MAX_LENGTH) return -1;
            int s = src.fetch(eip + n++);
            d.sib = true;
            d.scale = s >>> 6;
            int idx = (s >>> 3) & 7;
            d.index = idx == 4 ? -1 : idx;
            int base = s & 7;
            if (base == 5 && d.mod == 0) {
                d.base = -1;
                d.disp = read(src, eip + n, 4);
                d.dispBytes = 4;
                return n + 4;
            }
            d.base = base;
        } else if (rm == 5 && d.mod == 0) {
            d.base = -1;
            d.disp = read(src, eip + n, 4);
            d.dispBytes = 4;
            return n + 4;
        } else {
            d.base = rm;
        }
        if (d.base == 4 || d.base == 5) d.seg = 2;
        if (d.mod == 1) {
            d.disp = (byte) src.fetch(eip + n);
            d.dispBytes = 1;
            return n + 1;
        }
        if (d.mod == 2) {
            d.disp = read(src, eip + n, 4);
            d.dispBytes = 4;
            return n + 4;
        }
        return n;
    }
}
