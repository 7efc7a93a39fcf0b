package dev.trapdoor.api;

import dev.trapdoor.arch.CpuidTable;
import dev.trapdoor.boot.MpTable;
import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.apic.IoApic;
import dev.trapdoor.devices.apic.LocalApic;
import dev.trapdoor.devices.pic.DualPic;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.Region;

/**
 * The PC board's APICs: a local APIC for vCPU 0 (register page at 0xfee00000, IA32_APIC_BASE,
 * CPUID.1:EDX.APIC) and an IO-APIC at 0xfec00000 whose pins see every ISA IRQ the 8259 sees
 * (IRQ 0 on pin 2, as the MP table says), the 8259's INTR on LINT0 and IO-APIC pin 0, and what
 * firmware leaves: the local APIC in virtual-wire mode and an MP table in the EBDA.
 */
final class ApicWiring {
    static final int IOAPIC_ID = 1;

    private final Vm vm;
    private final LocalApic lapic;
    private final IoApic ioapic;
    private Region.Mmio lapicWindow;

    private ApicWiring(Vm vm) {
        this.vm = vm;
        this.lapic = new LocalApic(0, vm.getClock(), vm::virtualNow, vm::deadlineMoved);
        this.ioapic = new IoApic(IOAPIC_ID, lapic);
    }

    static ApicWiring create(Vm vm) {
        ApicWiring w = new ApicWiring(vm);
        w.lapic.onEoiBroadcast(w.ioapic::eoi);
        PhysicalMemory phys = vm.memory().physical();
        w.lapicWindow = phys.addMmio("lapic", LocalApic.DEFAULT_BASE, PhysicalMemory.PAGE_SIZE, w.lapic);
        phys.addMmio("ioapic", IoApic.DEFAULT_BASE, PhysicalMemory.PAGE_SIZE, w.ioapic);
        w.lapic.onWindowMove(w::move);
        vm.getMsrs().handle(LocalApic.IA32_APIC_BASE, new MsrTable.Handler() {
            @Override public long read() { return w.lapic.baseMsr(); }
            @Override public boolean write(long value) { return w.lapic.writeBaseMsr(value); }
        });
        CpuidTable cpuid = vm.getCpuid();
        CpuidTable.Leaf l = cpuid.get(1, 0);
        cpuid.set(1, 0, new CpuidTable.Leaf(l.eax(), l.ebx() & 0x00ffffff, l.ecx(), l.edx() | CpuidTable.EDX_APIC));
        if ("interp".equals(vm.getBackend())) enumerateCrystalClock(cpuid);
        vm.addDevice("lapic", w.lapic);
        vm.addDevice("ioapic", w.ioapic);
        return w;
    }

    /**
     * CPUID leaf 0x15 (SDM Vol. 2A, CPUID: TSC and nominal core crystal clock): on the interpreter
     * the TSC and the APIC timer's input both run at 1 GHz of virtual time, so the ratio is 1/1 and
     * the crystal 1 GHz. "The APIC timer frequency will be the processor's bus clock or core crystal
     * clock frequency (when TSC/core crystal clock ratio is enumerated in CPUID leaf 0x15)" (SDM Vol.
     * 3A, 11.5.4): an OS then knows the timer's rate and need not calibrate it against the PIT. The
     * maximum basic leaf rises to 0x15; the leaves between answer zeros (nothing enumerated).
     */
    private static void enumerateCrystalClock(CpuidTable cpuid) {
        CpuidTable.Leaf max = cpuid.get(0, 0);
        if (Integer.compareUnsigned(max.eax(), 0x15) < 0) cpuid.set(0, 0, new CpuidTable.Leaf(0x15, max.ebx(), max.ecx(), max.edx()));
        cpuid.set(0x15, 0, new CpuidTable.Leaf(1, 1, (int) dev.trapdoor.devices.apic.LocalApic.TIMER_HZ, 0));
    }

    LocalApic lapic() { return lapic; }

    IoApic ioapic() { return ioapic; }

    /** Where the 8259's INTR goes: LINT0 and IO-APIC pin 0 (the PIIX wiring). */
    IrqLine picOutput() {
        return both(lapic.lint0(), ioapic.pin(0));
    }

    /** ISA IRQ n to the 8259 and to its IO-APIC pin (IRQ 0, the PIT, on pin 2; IRQ 2, the cascade, as IRQ 9). */
    IrqLine isaIrq(DualPic pic, int n) {
        int pin = n == 0 ? 2 : n == 2 ? 9 : n;
        return both(pic.irq(n), ioapic.pin(pin));
    }

    /** The board is wired: the local APIC pulls ExtINT from the 8259, firmware's state and tables go in. */
    void finish(DualPic pic, long ramBytes) {
        lapic.connectExtInt(pic);
        lapic.virtualWireMode();
        CpuidTable.Leaf l = vm.getCpuid().get(1, 0);
        MpTable mp = MpTable.pc(LocalApic.VERSION & 0xff, l.eax(), l.edx(), IOAPIC_ID, IoApic.VERSION & 0xff,
                IoApic.DEFAULT_BASE, LocalApic.DEFAULT_BASE);
        if (ramBytes >= MpTable.BASE_MEMORY_TOP_KIB + mp.size()) mp.write(vm.memory().physical(), MpTable.BASE_MEMORY_TOP_KIB);
    }

    /** IA32_APIC_BASE moved or disabled the register page; a move onto other memory is refused (#GP). */
    private boolean move(long oldBase, long newBase) {
        PhysicalMemory phys = vm.memory().physical();
        if (newBase >= 0) {
            Region at = phys.regionAt(newBase);
            if (at != null && at != lapicWindow) return false;
        }
        if (lapicWindow != null) phys.removeMmio(lapicWindow);
        lapicWindow = newBase >= 0 ? phys.addMmio("lapic", newBase, PhysicalMemory.PAGE_SIZE, lapic) : null;
        return true;
    }

    private static IrqLine both(IrqLine a, IrqLine b) {
        return level -> {
            a.set(level);
            b.set(level);
        };
    }
}
