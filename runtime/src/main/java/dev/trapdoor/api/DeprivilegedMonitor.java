package dev.trapdoor.api;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.Region;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A classic trap-and-emulate monitor (Popek and Goldberg's VMM, as in the seed's chapter 1): the
 * guest kernel runs deprivileged at CPL 3 with IOPL 0. Its privileged instructions (CLI, STI,
 * HLT, IN/OUT, MOV CRn, LGDT/LIDT/LTR, IRET across privilege levels) fault; the fault goes
 * through the monitor-owned IDT to a stub whose OUT to a private port is a VM exit this monitor
 * hooks ({@link DeprivMachine}). The monitor decodes the faulting instruction, emulates it against
 * the guest's virtual state ({@link DeprivState}), reflects system calls and faults into the guest
 * kernel's own IDT handlers at ring 3, and resumes the guest.
 *
 * What it cannot see is the point of the exercise: POPF at CPL 3 with IOPL 0 silently keeps IF
 * (SDM Vol. 2, POPF) and PUSHF shows the real IF, so a guest that restores IF with POPF leaves the
 * monitor's virtual IF wrong: a sensitive instruction that is not privileged.
 *
 * Limits: flat segments, no paging, guest GDTs of up to 8 entries, 32-bit gates only; the guest
 * can address the monitor's window (nothing but paging could hide it).
 */
public final class DeprivilegedMonitor {
    /** The private port the monitor's stubs write to. */
    public static final int DEFAULT_PORT = 0xe5;
    public static final long DEFAULT_BASE = 0x80000;

    private final Vm vm;
    private final DeprivMachine machine;
    private final DeprivState state = new DeprivState();
    private final Guest guest;
    private final DeprivEmulator emulator;
    private final Map<String, Long> trapsByKind = new LinkedHashMap<>();
    private long traps;
    private long interruptsDelivered;
    private Hook hook;
    private java.util.function.Consumer<String> tracer;

    public DeprivilegedMonitor(Vm vm) {
        this(vm, DEFAULT_BASE, DEFAULT_PORT);
    }

    public DeprivilegedMonitor(Vm vm, long base, int port) {
        this.vm = vm;
        long ramEnd = ramEnd(vm, base);
        if (base % 8 != 0 || base + DeprivMachine.SIZE > ramEnd || base + DeprivMachine.SIZE > 0x100000000L)
            throw new IllegalArgumentException(String.format("the monitor needs %#x bytes of RAM at %#x", DeprivMachine.SIZE, base));
        if (port < 0 || port > 0xff) throw new IllegalArgumentException("the monitor's port must fit OUT imm8: " + port);
        this.machine = new DeprivMachine(vm.memory(), base, port);
        this.guest = new Guest(vm.memory(), ramEnd, base, base + DeprivMachine.SIZE);
        this.emulator = new DeprivEmulator(vm, machine, state, guest);
    }

    private static long ramEnd(Vm vm, long base) {
        for (Region r : vm.memory().getRegions())
            if (r.kind() == Region.Kind.RAM && r.base() == 0) return r.end();
        throw new IllegalArgumentException("the monitor needs RAM at guest-physical 0");
    }

    /** Installs the monitor's tables and enters the guest kernel at eip (flat, CPL 3, virtual CPL 0). */
    public DeprivilegedMonitor boot(long eip) {
        machine.install();
        vm.getVcpu().setRegisters(machine.entryState(eip));
        if (hook == null) hook = vm.onExit("IO_INSTRUCTION", this::onTrap);
        return this;
    }

    public DeprivState getVirtual() { return state; }
    /** Traps into the monitor so far. */
    public long getTraps() { return traps; }
    /** Traps by what caused them: the emulated instruction's mnemonic, "int 0x80", "#13 reflected" ... */
    public Map<String, Long> getTrapsByKind() { return Map.copyOf(trapsByKind); }

    /** Calls out with one line per trap (vector, guest EIP, what it was), or stops tracing with null. */
    public void trace(java.util.function.Consumer<String> out) {
        tracer = out;
    }

    /**
     * Raises a virtual interrupt: the monitor delivers it through the guest's IDT at the first trap
     * after which the guest's virtual IF is set (an emulated STI, an IRET that restores IF, a HLT).
     * It cannot deliver it sooner: the monitor runs only when the guest traps.
     */
    public void raise(int vector) {
        if (vector < 32 || vector > 255) throw new IllegalArgumentException("external interrupts use vectors 32-255, not " + vector);
        state.pending[vector >>> 6] |= 1L << (vector & 63);
    }

    /** Virtual interrupts delivered into the guest so far. */
    public long getInterruptsDelivered() { return interruptsDelivered; }

    public void resetCounters() {
        traps = 0;
        interruptsDelivered = 0;
        trapsByKind.clear();
    }

    /** The stubs' OUT: read the trap frame off the monitor stack, emulate, resume the guest. */
    private Action onTrap(Exit e) {
        if (!e.isOut() || e.getPort() != machine.port || !machine.isStub(e.getRip())) return null;
        Vcpu cpu = e.getVcpu();
        X86Registers r = cpu.getRegisters();
        long sp = r.gpr[X86Registers.ESP] & 0xffffffffL;
        // [vector][error][eip][cs][eflags][esp][ss]: the CPU's ring 3 -> 0 frame (SDM Vol. 3A, 6.12.1) plus the stub's pushes
        int vector = (int) vm.memory().peek32(sp) & 0xff;
        int error = (int) vm.memory().peek32(sp + 4);
        r.eip = (int) vm.memory().peek32(sp + 8);
        r.eflags = (int) vm.memory().peek32(sp + 16);
        r.gpr[X86Registers.ESP] = (int) vm.memory().peek32(sp + 20);
        r.seg[X86Registers.CS].copyFrom(DeprivMachine.guestCode());
        var ss = machine.stackSegment((int) vm.memory().peek32(sp + 24));
        if (ss != null) r.seg[X86Registers.SS].copyFrom(ss);
        traps++;
        String kind;
        try {
            kind = emulator.trap(vector, error, r);
            if (emulator.deliverPending(r)) interruptsDelivered++;
        } catch (GuestFault f) {
            vm.requestShutdown(-1, "deprivileged guest: " + f.getMessage());
            count("virtual shutdown");
            return Action.HANDLED;
        }
        count(kind);
        if (tracer != null) tracer.accept(String.format("trap %d: vector %d error %#x at %08x: %s -> %08x (%s)",
                traps, vector, error, vm.memory().peek32(sp + 8), kind, r.eip, state));
        // Mirror the virtual IF into the real one, which is what PUSHF at CPL 3 shows.
        r.eflags = (r.eflags & ~(0x200 | 0x3000)) | (state.interruptFlag ? 0x200 : 0) | 2;
        cpu.setRegisters(r);
        return Action.HANDLED;
    }

    private void count(String kind) {
        trapsByKind.merge(kind, 1L, Long::sum);
    }

    @Override
    public String toString() {
        return "deprivileged monitor: " + traps + " traps " + trapsByKind + "; " + state;
    }

    /** Something the guest did that the monitor cannot continue from: a virtual triple fault. */
    static final class GuestFault extends RuntimeException {
        GuestFault(String message) {
            super(message, null, false, false);
        }
    }

    /** Guest memory as the monitor touches it on the guest's behalf: RAM only, never the monitor's window. */
    static final class Guest {
        private final GuestMemory mem;
        private final long end, monitorStart, monitorEnd;

        Guest(GuestMemory mem, long end, long monitorStart, long monitorEnd) {
            this.mem = mem;
            this.end = end;
            this.monitorStart = monitorStart;
            this.monitorEnd = monitorEnd;
        }

        private long check(long a, int n, boolean write) {
            a &= 0xffffffffL;
            if (a + n > end) throw new GuestFault(String.format("access to %#x outside RAM", a));
            if (write && a + n > monitorStart && a < monitorEnd)
                throw new GuestFault(String.format("write to %#x inside the monitor", a));
            return a;
        }

        int read8(long a) { return mem.peek8(check(a, 1, false)); }
        int read16(long a) { return mem.peek16(check(a, 2, false)); }
        int read32(long a) { return (int) mem.peek32(check(a, 4, false)); }
        long read64(long a) { return mem.peek64(check(a, 8, false)); }
        void write32(long a, int v) { mem.poke32(check(a, 4, true), v); }
        void write64(long a, long v) { mem.poke64(check(a, 8, true), v); }
    }
}
