package dev.trapdoor.api;

import dev.trapdoor.backend.InterruptController;
import dev.trapdoor.devices.CharBackend;
import dev.trapdoor.devices.DebugExit;
import dev.trapdoor.devices.IoBus;
import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.PostCodePort;
import dev.trapdoor.devices.clock.VirtualClock;
import dev.trapdoor.devices.i8042.I8042;
import dev.trapdoor.devices.pci.I440fxHostBridge;
import dev.trapdoor.devices.pci.PciBus;
import dev.trapdoor.devices.pci.PciHostBridge;
import dev.trapdoor.devices.pci.Piix3IsaBridge;
import dev.trapdoor.devices.pic.DualPic;
import dev.trapdoor.devices.pit.I8254Pit;
import dev.trapdoor.devices.pit.SystemControlPortB;
import dev.trapdoor.devices.rtc.Mc146818Rtc;
import dev.trapdoor.devices.serial.Uart16550;

import java.util.Locale;

/**
 * The machines a VmBuilder can wire. MINI is the seed's mini VMM: a 16550 (no interrupt
 * controller), isa-debug-exit and the POST port. PC adds what a PC/AT chipset has and Linux uses:
 * the 8259 pair with ELCR, the 8254 PIT with port 0x61, the MC146818 RTC/CMOS, the i8042, and a
 * PCI host bridge (mechanism #1) with an i440FX and a PIIX3 ISA bridge; COM1 then raises IRQ 4.
 */
public enum Boards {
    MINI, PC;

    public static Boards of(Object o) {
        if (o instanceof Boards b) return b;
        return switch (String.valueOf(o).trim().toLowerCase(Locale.ROOT)) {
            case "mini", "seed", "minimal" -> MINI;
            case "pc", "isapc", "i440fx" -> PC;
            default -> throw new IllegalArgumentException("unknown board '" + o + "': use mini or pc");
        };
    }

    /**
     * Wires the board's devices on vm's bus; returns the vCPU's interrupt controller, or null
     * (MINI). With apic, PC also has a local APIC and an IO-APIC ({@link ApicWiring}): the
     * controller is then the local APIC, and ISA IRQs reach both the 8259 and the IO-APIC.
     */
    InterruptController wire(Vm vm, IoBus io, CharBackend console, int debugExitPort, int debugExitSize, long ramBytes, boolean apic) {
        VirtualClock clock = vm.getClock();
        ApicWiring apics = this == PC && apic ? ApicWiring.create(vm) : null;
        DualPic pic = this == PC ? new DualPic(apics != null ? apics.picOutput() : IrqLine.NONE) : null;
        java.util.function.IntFunction<IrqLine> isa = n -> apics != null ? apics.isaIrq(pic, n) : pic.irq(n);
        IrqLine com1 = pic != null ? isa.apply(Uart16550.COM1_IRQ) : IrqLine.NONE;
        Uart16550 uart = new Uart16550(console, com1);
        io.map("serial0", Uart16550.COM1_BASE, Uart16550.PORTS, uart);
        vm.addDevice("serial0", uart);
        vm.betweenExits(() -> uart.tick(clock.now()));
        uart.useTimeoutTimer(clock);
        if (debugExitPort >= 0) {
            DebugExit dx = new DebugExit(debugExitSize, vm);
            io.map("debug-exit", debugExitPort, debugExitSize, dx);
            vm.addDevice("debug-exit", dx);
        }
        PostCodePort post = new PostCodePort();
        io.map("post", 0x80, 1, post);
        vm.addDevice("post", post);
        if (pic == null) return null;

        pic.mapOn(io);
        vm.addDevice("pic", pic);
        I8254Pit pit = new I8254Pit(clock, isa.apply(0));
        io.map("pit", I8254Pit.BASE, I8254Pit.PORTS, pit);
        vm.addDevice("pit", pit);
        // What firmware leaves behind (SeaBIOS's timer setup, QEMU's PIT reset): channel 0 in
        // mode 3 with count 65536, the 18.2 Hz tick. Without it the counter reads "null count"
        // forever and code that waits for a readable count (Linux's KASLR entropy) never ends.
        io.write(I8254Pit.BASE + 3, 1, 0x36);
        io.write(I8254Pit.BASE, 1, 0);
        io.write(I8254Pit.BASE, 1, 0);
        SystemControlPortB portB = new SystemControlPortB(pit, clock);
        io.map("port61", 0x61, 1, portB);
        vm.addDevice("port61", portB);
        // The RTC's wall clock starts at a fixed epoch so runs replay exactly (2026-01-01T00:00:00Z).
        Mc146818Rtc rtc = new Mc146818Rtc(clock, isa.apply(8), 1767225600L);
        rtc.setMemorySize(ramBytes);
        io.map("rtc", Mc146818Rtc.BASE, Mc146818Rtc.PORTS, rtc);
        vm.addDevice("rtc", rtc);
        I8042 kbc = new I8042(isa.apply(1), isa.apply(12), vm);
        kbc.mapOn(io);
        vm.addDevice("i8042", kbc);
        PciBus bus = new PciBus();
        bus.attach(0, 0, new I440fxHostBridge());
        bus.attach(1, 0, new Piix3IsaBridge());
        PciHostBridge host = new PciHostBridge(bus, vm);
        host.mapOn(io);
        vm.addDevice("pci", host);
        if (apics == null) return pic;
        apics.finish(pic, ramBytes);
        return apics.lapic();
    }
}
