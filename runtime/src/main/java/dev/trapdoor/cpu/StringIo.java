package dev.trapdoor.cpu;

import dev.trapdoor.backend.PortIo;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.Vmcs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * String instructions (MOVS, CMPS, STOS, LODS, SCAS with REP/REPE/REPNE) and port I/O (IN, OUT,
 * INS, OUTS). Port I/O the VMCS makes exit (unconditional I/O exiting, or the I/O bitmaps) leaves
 * the CPU as an IO_INSTRUCTION exit: the instruction stays pending with EIP at it, the handler
 * moves the data through the exit's buffer, and the next run completes it. A port that does not
 * exit is accessed through {@link #portIo} the same way, without leaving the CPU. String I/O moves up to one 4 KiB buffer per exit; REP forms exit again, chunk by
 * chunk, until ECX is zero.
 */
abstract class StringIo extends Alu {
    static final int IO_BUFFER_SIZE = 4096;
    /** REP iterations per execution before the instruction yields (EIP stays on it) to let the loop look for stop requests. */
    static final int REP_BUDGET = 1 << 16;

    final MemorySegment ioBuffer = Arena.ofAuto().allocate(IO_BUFFER_SIZE, 8);
    Insn pendingIo;
    int pendingEip, pendingCount;
    /** The port space for accesses that do not exit; null = every access exits. */
    PortIo portIo;

    StringIo(PhysicalMemory memory, Vmcs vmcs) {
        super(memory, vmcs);
    }

    final int ea(Insn i) {
        int a = i.disp;
        if (i.base >= 0) a += gpr[i.base];
        if (i.index >= 0) a += gpr[i.index] << i.scale;
        return i.asize == 4 ? a : a & 0xffff;
    }

    final int readE(Insn i, int size) {
        return i.mod == 3 ? getReg(i.rm, size) : read(i.seg, ea(i), size);
    }

    final void writeE(Insn i, int size, int v) {
        if (i.mod == 3) setReg(i.rm, size, v);
        else write(i.seg, ea(i), size, v);
    }

    final int ipMask() {
        return code32 ? -1 : 0xffff;
    }

    private void step(int r, int delta, int am) {
        gpr[r] = (gpr[r] & ~am) | ((gpr[r] + delta) & am);
    }

    final void string(Insn i) {
        int size = i.size;
        int delta = df() ? -size : size;
        int am = i.asize == 4 ? -1 : 0xffff;
        if (i.rep == 0) {
            stringOnce(i, size, delta, am);
            return;
        }
        int budget = REP_BUDGET;
        boolean compares = i.sub == 1 || i.sub == 4;
        while ((gpr[ECX] & am) != 0) {
            stringOnce(i, size, delta, am);
            step(ECX, -1, am);
            if (mmioLogged != 0) mmioInstructionDone(); // this iteration is committed: the next one's accesses are new
            if (compares && (zf() != (i.rep == 0xf3))) return;
            if (--budget == 0) {
                if ((gpr[ECX] & am) != 0) eip = insStart;
                return;
            }
        }
    }

    private void stringOnce(Insn i, int size, int delta, int am) {
        switch (i.sub) {
            case 0 -> { // movs
                int v = read(i.seg, gpr[ESI] & am, size);
                write(ES, gpr[EDI] & am, size, v);
                step(ESI, delta, am);
                step(EDI, delta, am);
            }
            case 1 -> { // cmps: DS:ESI - ES:EDI
                int a = read(i.seg, gpr[ESI] & am, size);
                int b = read(ES, gpr[EDI] & am, size);
                alu(7, a, b, size);
                step(ESI, delta, am);
                step(EDI, delta, am);
            }
            case 2 -> { // stos
                write(ES, gpr[EDI] & am, size, gpr[EAX]);
                step(EDI, delta, am);
            }
            case 3 -> { // lods
                setReg(EAX, size, read(i.seg, gpr[ESI] & am, size));
                step(ESI, delta, am);
            }
            default -> { // scas: eAX - ES:EDI
                alu(7, gpr[EAX], read(ES, gpr[EDI] & am, size), size);
                step(EDI, delta, am);
            }
        }
    }

    // ---- port I/O

    /**
     * SDM Vol. 3A, 19.5.2: with CPL > IOPL in protected mode, and always in virtual-8086 mode, the I/O permission bitmap of a 32-bit
     * TSS decides; every bit for the size bytes from port must be clear. A 16-bit TSS, a map base
     * past the TSS limit or bits beyond it deny access (#GP(0)).
     */
    final void checkIoPrivilege(int port, int size) {
        // In virtual-8086 mode the bitmap decides whatever IOPL is (SDM Vol. 3B, 20.2.8.1).
        if (!protectedMode() || (!v86() && cpl <= ((flagsRest >>> 12) & 3))) return;
        if ((trAccess & 0xd) != 0x9 || trLimit < 0x67) throw gp(0);
        int saved = cpl;
        int bits;
        cpl = 0;
        try {
            long mapBase = readLin16(trBase + 0x66) & 0xffff;
            long at = mapBase + (port >>> 3);
            if (at + 1 > trLimit) throw gp(0);
            bits = readLin16(trBase + (int) at);
        } finally {
            cpl = saved;
        }
        if (((bits >>> (port & 7)) & ((1 << size) - 1)) != 0) throw gp(0);
    }

    final void portIo(Insn i, int port, boolean in, boolean immediate) {
        checkIoPrivilege(port, i.size);
        if (portIo != null && !vmcs.ioExits(port, i.size)) {
            if (in) setReg(EAX, i.size, portIo.in(port, i.size));
            else portIo.out(port, i.size, gpr[EAX]);
            return;
        }
        exit.io(port, i.size, in, false, false, immediate, 1);
        if (!in) putElement(0, i.size, gpr[EAX]);
        ioExit(i, 1);
    }

    /** A string I/O chunk that does not exit: the port accesses happen here, then the same completion as after an exit. */
    private void directStringIo(Insn i, int port, int size, boolean in, int count) {
        pendingIo = i;
        pendingEip = insStart;
        pendingCount = count;
        eip = insStart;
        retired--;
        for (int k = 0; k < count; k++) {
            if (in) putElement(k, size, portIo.in(port, size));
            else portIo.out(port, size, getElement(k, size));
        }
        completeIo();
    }

    private void ioExit(Insn i, int count) {
        exit.rip = insStart & 0xffffffffL;
        exit.instructionLength = i.len;
        exit.data = ioBuffer;
        pendingIo = i;
        pendingEip = insStart;
        pendingCount = count;
        eip = insStart;
        retired--; // not retired until the next run completes it
        exitPending = true;
    }

    private void putElement(int k, int size, int v) {
        switch (size) {
            case 1 -> ioBuffer.set(Mmu.U8, k, (byte) v);
            case 2 -> ioBuffer.set(Mmu.U16, 2L * k, (short) v);
            default -> ioBuffer.set(Mmu.U32, 4L * k, v);
        }
    }

    private int getElement(int k, int size) {
        return switch (size) {
            case 1 -> ioBuffer.get(Mmu.U8, k) & 0xff;
            case 2 -> ioBuffer.get(Mmu.U16, 2L * k) & 0xffff;
            default -> ioBuffer.get(Mmu.U32, 4L * k);
        };
    }

    /** INS/OUTS: one exit per chunk of up to 4 KiB. OUTS copies the chunk out of guest memory first. */
    final void stringIo(Insn i, boolean in) {
        checkIoPrivilege(gpr[EDX] & 0xffff, i.size);
        int size = i.size;
        int am = i.asize == 4 ? -1 : 0xffff;
        boolean rep = i.rep != 0;
        long remaining = rep ? gpr[ECX] & am & 0xffffffffL : 1;
        if (remaining == 0) return;
        int count = (int) Math.min(remaining, IO_BUFFER_SIZE / size);
        int delta = df() ? -size : size;
        int port = gpr[EDX] & 0xffff;
        int firstOff = in ? gpr[EDI] & am : gpr[ESI] & am;
        int seg = in ? ES : i.seg;
        int linear = linear(seg, firstOff, size, in ? ACC_WRITE : ACC_READ);
        if (!in) {
            int done = 0;
            try {
                for (; done < count; done++) putElement(done, size, read(seg, (firstOff + done * delta) & am, size));
            } catch (CpuFault f) {
                if (done == 0) throw f;
                count = done; // move what could be read; the fault comes back when the rest is retried
            }
        } else {
            probeWrite(ES, firstOff, size);
        }
        if (portIo != null && !vmcs.ioExits(port, size)) {
            directStringIo(i, port, size, in, count);
            return;
        }
        exit.io(port, size, in, true, rep, false, count);
        exit.guestLinear = linear & 0xffffffffL;
        ioExit(i, count);
    }

    /** Completes the I/O instruction left pending by the last exit (the next run's first act). */
    final void completeIo() {
        Insn i = pendingIo;
        pendingIo = null;
        if (i == null || eip != pendingEip) return;
        int size = i.size;
        switch (i.op) {
            case Ops.IN_I, Ops.IN_D -> {
                setReg(EAX, size, getElement(0, size));
                finish(i);
            }
            case Ops.OUT_I, Ops.OUT_D -> finish(i);
            default -> {
                boolean in = i.op == Ops.INS;
                int am = i.asize == 4 ? -1 : 0xffff;
                int delta = df() ? -size : size;
                insStart = eip;
                for (int k = 0; k < pendingCount; k++) {
                    if (in) {
                        write(ES, gpr[EDI] & am, size, getElement(k, size));
                        step(EDI, delta, am);
                    } else {
                        step(ESI, delta, am);
                    }
                    if (i.rep != 0) step(ECX, -1, am);
                }
                if (i.rep == 0 || (gpr[ECX] & am) == 0) finish(i);
            }
        }
    }

    private void finish(Insn i) {
        eip = (eip + i.len) & ipMask();
        retired++;
    }
}
