package dev.trapdoor.cpu;

import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The interpreter core's saved state: every architectural register (general, EIP, EFLAGS with
 * the lazy flags resolved, segment descriptor caches, LDTR, TR, GDTR, IDTR, CR0-CR4, EFER,
 * DR0-DR7, the SYSENTER MSRs), the x87 unit, the halted state and interrupt shadow, the
 * instruction count and TSC offset, pending events (interrupts, NMI and its blocking, the MOV-SS
 * shadow, an armed MONITOR, a debug trap due), and an I/O instruction left pending by an
 * exit (its bytes, re-decoded on load, and its transfer buffer). Derived fields (CPL-based fast
 * checks, code size, the TLB, decoded blocks) are rebuilt on load, not saved.
 */
final class CpuSnapshot {
    static final int FORMAT = 3;

    private CpuSnapshot() {}

    static void save(Cpu c, StateWriter out) {
        out.i32(FORMAT);
        out.ints(c.gpr).i32(c.eip).i32(c.getEflags());
        out.ints(c.segSel).ints(c.segBase).longs(c.segLimit).ints(c.segAccess);
        out.i32(c.ldtrSel).i32(c.ldtrBase).i64(c.ldtrLimit).i32(c.ldtrAccess);
        out.i32(c.trSel).i32(c.trBase).i64(c.trLimit).i32(c.trAccess);
        out.i32(c.gdtBase).i32(c.gdtLimit).i32(c.idtBase).i32(c.idtLimit);
        out.i32(c.cr0).i32(c.cr2).i32(c.cr3).i32(c.cr4).i64(c.efer).i32(c.cpl);
        out.ints(c.dr).i32(c.sysenterCs).i32(c.sysenterEsp).i32(c.sysenterEip);
        out.i64(c.retired).i64(c.tscOffset).bool(c.halted).i64(c.interruptShadowUntil);
        out.part(c.fpu).bool(c.ferrLatch());
        c.saveEvents(out);
        c.saveNmiAndDebug(out);
        c.saveMmio(out);
        Insn io = c.pendingIo;
        out.bool(io != null);
        if (io != null) {
            byte[] code = new byte[io.len];
            for (int k = 0; k < code.length; k++) {
                long pa = c.debugTranslate((c.segBase[Cpu.CS] + c.pendingEip + k) & 0xffffffffL);
                code[k] = (byte) (pa < 0 ? 0 : c.memory.read8(pa));
            }
            out.bool(io.code32).bytes(code).i32(c.pendingEip).i32(c.pendingCount);
            int bytes = Math.min(StringIo.IO_BUFFER_SIZE, c.pendingCount * Math.max(1, io.size));
            out.bytes(c.ioBuffer.asSlice(0, bytes).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    static void load(Cpu c, StateReader in) {
        int format = in.i32();
        if (format != FORMAT) throw in.fail("is in CPU state format " + format + ", not " + FORMAT);
        int[] gpr = new int[8];
        in.intsInto(gpr);
        int eip = in.i32(), eflags = in.i32();
        int[] sel = new int[6], base = new int[6], access = new int[6];
        long[] limit = new long[6];
        in.intsInto(sel);
        in.intsInto(base);
        in.longsInto(limit);
        in.intsInto(access);
        int ldtrSel = in.i32(), ldtrBase = in.i32();
        long ldtrLimit = in.i64();
        int ldtrAccess = in.i32();
        int trSel = in.i32(), trBase = in.i32();
        long trLimit = in.i64();
        int trAccess = in.i32();
        int gdtBase = in.i32(), gdtLimit = in.i32(), idtBase = in.i32(), idtLimit = in.i32();
        int cr0 = in.i32(), cr2 = in.i32(), cr3 = in.i32(), cr4 = in.i32();
        long efer = in.i64();
        int cpl = in.range(0, 3, "CPL");
        int[] dr = new int[c.dr.length];
        in.intsInto(dr);
        int sysCs = in.i32(), sysEsp = in.i32(), sysEip = in.i32();
        long retired = in.i64(), tscOffset = in.i64();
        boolean halted = in.bool();
        long shadow = in.i64();
        // Everything above is plain data; from here on the core changes.
        System.arraycopy(gpr, 0, c.gpr, 0, 8);
        c.eip = eip;
        c.cr0 = cr0;
        c.cr2 = cr2;
        c.cr3 = cr3;
        c.cr4 = cr4;
        c.efer = efer;
        c.setEflags(eflags);
        System.arraycopy(sel, 0, c.segSel, 0, 6);
        System.arraycopy(base, 0, c.segBase, 0, 6);
        System.arraycopy(limit, 0, c.segLimit, 0, 6);
        System.arraycopy(access, 0, c.segAccess, 0, 6);
        c.ldtrSel = ldtrSel;
        c.ldtrBase = ldtrBase;
        c.ldtrLimit = ldtrLimit;
        c.ldtrAccess = ldtrAccess;
        c.trSel = trSel;
        c.trBase = trBase;
        c.trLimit = trLimit;
        c.trAccess = trAccess;
        c.gdtBase = gdtBase;
        c.gdtLimit = gdtLimit;
        c.idtBase = idtBase;
        c.idtLimit = idtLimit;
        c.cpl = cpl;
        System.arraycopy(dr, 0, c.dr, 0, dr.length);
        c.sysenterCs = sysCs;
        c.sysenterEsp = sysEsp;
        c.sysenterEip = sysEip;
        c.retired = retired;
        c.tscOffset = tscOffset;
        c.halted = halted;
        c.interruptShadowUntil = shadow;
        c.insStart = eip;
        c.refreshSegments();
        c.flushTlb();
        in.part(c.fpu, "x87");
        c.ferrLatch(in.bool());
        c.loadEvents(in);
        c.loadNmiAndDebug(in);
        c.loadMmio(in);
        c.afterStateLoad();
        c.pendingIo = null;
        if (in.bool()) {
            boolean code32 = in.bool();
            byte[] code = in.bytes();
            int pendingEip = in.i32(), count = in.range(1, StringIo.IO_BUFFER_SIZE, "pending I/O count");
            byte[] data = in.bytes();
            if (data.length > StringIo.IO_BUFFER_SIZE) throw in.fail("has an I/O buffer of " + data.length + " bytes");
            Insn i = new Insn();
            boolean ok = code.length > 0 && Decoder.decode(i, at -> {
                int k = at - pendingEip;
                return k >= 0 && k < code.length ? code[k] & 0xff : 0;
            }, pendingEip, code32);
            if (!ok || i.len != code.length) throw in.fail("has a pending I/O instruction that does not decode");
            c.pendingIo = i;
            c.pendingEip = pendingEip;
            c.pendingCount = count;
            MemorySegment.copy(data, 0, c.ioBuffer, ValueLayout.JAVA_BYTE, 0, data.length);
        }
    }
}
