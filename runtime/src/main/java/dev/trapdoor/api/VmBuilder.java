package dev.trapdoor.api;

import dev.trapdoor.arch.CpuidTable;
import dev.trapdoor.backend.Backend;
import dev.trapdoor.devices.BufferCharBackend;
import dev.trapdoor.devices.CharBackend;
import dev.trapdoor.devices.IoBus;
import dev.trapdoor.memory.PhysicalMemory;

import java.util.Locale;
import java.util.Map;

/**
 * Wires a VM: memory, the board's devices, the backend and the vCPUs. One builder for the shell,
 * scripts and tests. Defaults make the seed's mini VMM: 1 MiB of RAM at 0, a 16550 at 0x3f8, a
 * debug-exit port at 0xf4, the POST port 0x80, one vCPU in real mode, on the interpreter.
 */
public final class VmBuilder {
    private final Hypervisor hypervisor;
    private String name;
    private long memory = 1 << 20;
    private BackendKind backend = BackendKind.INTERP;
    private Backend customBackend;
    private CharBackend console;
    private int debugExitPort = 0xf4;
    private int debugExitSize = 4;
    private int vcpus = 1;
    private CpuidTable cpuid;
    private Boards board = Boards.MINI;
    private boolean apic = true;

    VmBuilder(Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    public VmBuilder name(String n) { name = n; return this; }
    public VmBuilder memory(Object size) { memory = parseSize(size); return this; }
    public VmBuilder backend(Object kind) {
        if (kind instanceof Backend b) customBackend = b;
        else backend = BackendKind.of(kind);
        return this;
    }
    /** Where the serial port's bytes go; a buffer (readable as vm.serialOutput) if not set. */
    public VmBuilder console(CharBackend c) { console = c; return this; }
    /** The isa-debug-exit port, or -1 for none. */
    public VmBuilder debugExit(int port) { debugExitPort = port; return this; }
    public VmBuilder vcpus(int n) {
        if (n != 1) throw new IllegalArgumentException("this version builds uniprocessor VMs only (asked for " + n + " vCPUs)");
        vcpus = n;
        return this;
    }
    public VmBuilder cpuid(CpuidTable t) { cpuid = t; return this; }
    /** mini (the seed's mini VMM, the default) or pc (PIC, PIT, RTC, i8042, PCI; COM1 on IRQ 4). */
    public VmBuilder board(Object b) { board = Boards.of(b); return this; }
    /** Whether the pc board has a local APIC and an IO-APIC (default true; false: the 8259 alone, CPUID without APIC). */
    public VmBuilder apic(boolean on) { apic = on; return this; }

    /** Applies a map of options, as Groovy's named arguments give them: name, memory, backend, console, debugExit. */
    public VmBuilder options(Map<String, ?> opts) {
        for (var e : opts.entrySet()) {
            Object v = e.getValue();
            switch (e.getKey()) {
                case "name" -> name(String.valueOf(v));
                case "memory", "mem", "ram" -> memory(v);
                case "backend" -> backend(v);
                case "console", "serial" -> console((CharBackend) v);
                case "debugExit" -> debugExit(((Number) v).intValue());
                case "vcpus", "cpus" -> vcpus(((Number) v).intValue());
                case "board", "machine" -> board(v);
                case "apic" -> apic(Boolean.parseBoolean(String.valueOf(v)));
                default -> throw new IllegalArgumentException("unknown VM option '" + e.getKey()
                        + "': use name, memory, backend, board, apic, console, debugExit, vcpus");
            }
        }
        return this;
    }

    public Vm build() {
        if (memory < PhysicalMemory.PAGE_SIZE || memory % PhysicalMemory.PAGE_SIZE != 0)
            throw new IllegalArgumentException("memory must be a positive multiple of 4 KiB, not " + memory);
        Backend be = customBackend != null ? customBackend : Backends.create(backend);
        PhysicalMemory phys = new PhysicalMemory();
        try {
            phys.addRam("ram", 0, memory);
            IoBus io = new IoBus();
            String vmName = name != null ? name : hypervisor.nextName();
            Vm vm = new Vm(vmName, be, phys, io, cpuid != null ? cpuid : be.defaultCpuid());
            CharBackend out = console != null ? console : new BufferCharBackend();
            vm.setConsole(out);
            var pic = board.wire(vm, io, out, debugExitPort, debugExitSize, memory, apic);
            be.syncMemory(phys);
            for (int i = 0; i < vcpus; i++) {
                var vb = be.createVcpu(i);
                vb.setCpuid(vm.getCpuid());
                Vcpu v = new Vcpu(vm, i, vb);
                vm.addVcpu(v);
                if (pic != null && i == 0) v.connectInterruptController(pic);
                v.resetRealMode(0, 0x1000);
            }
            hypervisor.register(vm);
            return vm;
        } catch (RuntimeException e) {
            be.close();
            phys.close();
            throw e;
        }
    }

    /** "64M", "1m", "512K", "1G", or a number of bytes. */
    static long parseSize(Object o) {
        if (o instanceof Number n) return n.longValue();
        String s = String.valueOf(o).trim().toUpperCase(Locale.ROOT);
        if (s.endsWith("IB")) s = s.substring(0, s.length() - 2);
        if (s.endsWith("B")) s = s.substring(0, s.length() - 1);
        long unit = 1;
        char last = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
        switch (last) {
            case 'K' -> unit = 1L << 10;
            case 'M' -> unit = 1L << 20;
            case 'G' -> unit = 1L << 30;
            default -> { }
        }
        if (unit != 1) s = s.substring(0, s.length() - 1);
        try {
            return Long.decode(s.trim()) * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size: '" + o + "' (use e.g. 1M, 64M, 512K)");
        }
    }
}
