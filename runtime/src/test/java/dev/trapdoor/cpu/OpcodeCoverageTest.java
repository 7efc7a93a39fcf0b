package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every row of the opcode table (each group member too), in register and memory form, in 32- and
 * 16-bit code, runs to an exit that is not INTERNAL_ERROR: a row whose handler the executor
 * lacks, or a handler that throws a host exception on odd operands, fails here. Exceptions exit
 * (full exception bitmap); the low 64 KiB are refilled with HLT before each case so that stray
 * transfers end at once.
 */
class OpcodeCoverageTest {
    private static final int[] PREFIXES = {0x0f, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3};
    private static final byte[] HLT_FILL = new byte[0x10000];

    static {
        Arrays.fill(HLT_FILL, (byte) 0xf4);
    }

    static List<byte[]> encodings() {
        List<byte[]> out = new ArrayList<>();
        for (int map = 0; map < 2; map++) {
            for (int op = 0; op < 256; op++) {
                boolean prefix = false;
                for (int p : PREFIXES) prefix |= map == 0 && p == op;
                if (prefix) continue;
                Row row = map == 0 ? OpcodeTable.ONE_BYTE[op] : OpcodeTable.TWO_BYTE[op];
                int regs = row.group != null ? 8 : 1;
                for (int reg = 0; reg < regs; reg++) {
                    for (int mod : new int[] {0xc0, 0x00}) {
                        int modrm = mod | (reg << 3) | (mod == 0xc0 ? 1 : 0);
                        out.add(map == 0 ? Guest.bytes(op, modrm, 1, 0, 0, 0, 0, 0, 0, 0)
                                : Guest.bytes(0x0f, op, modrm, 1, 0, 0, 0, 0, 0, 0));
                    }
                }
            }
        }
        return out;
    }

    @Test
    @Timeout(120)
    void everyRowRunsWithoutInternalError() {
        for (boolean code32 : new boolean[] {true, false}) {
            X86Registers initial = code32 ? X86Registers.flat32(0x1000) : X86Registers.realMode(0, 0x1000);
            try (Guest g = new Guest(initial)) {
                g.memory.ramAt(0).fill((byte) 0xf4);
                int cases = 0;
                for (byte[] enc : encodings()) {
                    Insn d = new Insn();
                    if (!Disassembler.decode(d, enc, 0, 0x1000, code32)) continue;
                    byte[] code = Arrays.copyOf(enc, d.length() + 1);
                    code[d.length()] = (byte) 0xf4;
                    g.memory.write(0, HLT_FILL);
                    g.memory.write(0x1000, code);
                    X86Registers regs = initial.copy();
                    regs.gpr[X86Registers.EAX] = 0x6000;
                    regs.gpr[X86Registers.ECX] = 3;
                    regs.gpr[X86Registers.EBX] = 0x6100;
                    regs.gpr[X86Registers.ESI] = 0x6200;
                    regs.gpr[X86Registers.EDI] = 0x6300;
                    regs.gpr[X86Registers.ESP] = 0x7000;
                    g.vcpu.setRegisters(regs);
                    g.vcpu.vmcs.set("EXCEPTION_BITMAP", -1);
                    ExitInfo e = g.run();
                    for (int k = 0; k < 8 && e.reason == ExitReason.IO_INSTRUCTION; k++) e = g.run(); // complete it
                    String where = Disassembler.format(d, 0x1000) + " (" + (code32 ? 32 : 16) + "-bit): " + e.message;
                    assertNotEquals(ExitReason.INTERNAL_ERROR, e.reason, where);
                    assertNotEquals(ExitReason.IO_INSTRUCTION, e.reason, where);
                    cases++;
                }
                assertTrue(cases > 1000, "cases run: " + cases);
            }
        }
    }
}
