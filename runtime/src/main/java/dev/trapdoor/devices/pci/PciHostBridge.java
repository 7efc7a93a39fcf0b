package dev.trapdoor.devices.pci;

import dev.trapdoor.devices.IoBus;
import dev.trapdoor.devices.MachineControl;
import dev.trapdoor.devices.PioDevice;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2) at ports 0xcf8-0xcff:
 * CONFIG_ADDRESS is a dword at 0xcf8 (bit 31 enable, bus 23:16, device 15:11, function 10:8,
 * register 7:2); CONFIG_DATA at 0xcfc-0xcff reaches the addressed dword, a byte or word access
 * at 0xcfc + n going to register + n. Only dword accesses to 0xcf8 hit CONFIG_ADDRESS; byte
 * accesses to 0xcf9 reach the PIIX3 reset control register (bit 1 hard reset, bit 2 resets on
 * its 0-to-1 edge), which Linux's reboot=pci uses. Only bus 0 exists.
 */
public final class PciHostBridge implements PioDevice, Stateful {
    public static final int BASE = 0xcf8;
    public static final int PORTS = 8;
    private static final int ENABLE = 0x80000000;
    private static final int ADDRESS_BITS = ENABLE | 0x00fffffc;   // 30:24 reserved, 1:0 type 0
    private static final int RCR_OFFSET = 1;
    private static final int RCR_HARD = 0x02, RCR_CPU = 0x04;

    private final PciBus bus;
    private final MachineControl machine;
    private int address;
    private int resetControl;

    public PciHostBridge(PciBus bus, MachineControl machine) {
        this.bus = bus;
        this.machine = machine;
    }

    public void mapOn(IoBus io) {
        io.map("pci-conf1", BASE, PORTS, this);
    }

    @Override
    public int read(int offset, int size) {
        if (offset < 4) {
            if (offset == 0 && size == 4) return address;
            if (offset == RCR_OFFSET && size == 1) return resetControl;
            return size == 4 ? -1 : (1 << (8 * size)) - 1;
        }
        int n = offset - 4;
        if (!targetsBus0Function()) return size == 4 ? -1 : (1 << (8 * size)) - 1;
        return bus.read(devfn(), register() + n, Math.min(size, 4 - n));
    }

    @Override
    public void write(int offset, int size, int value) {
        if (offset < 4) {
            if (offset == 0 && size == 4) {
                address = value & ADDRESS_BITS;
            } else if (offset == RCR_OFFSET && size == 1) {
                boolean cpuReset = (value & RCR_CPU) != 0 && (resetControl & RCR_CPU) == 0;
                resetControl = value & (RCR_HARD | RCR_CPU);
                if (cpuReset) {
                    resetControl &= ~RCR_CPU;
                    machine.requestReset((value & RCR_HARD) != 0 ? "PIIX3 RCR hard reset" : "PIIX3 RCR CPU reset");
                }
            }
            return;
        }
        int n = offset - 4;
        if (!targetsBus0Function()) return;
        bus.write(devfn(), register() + n, Math.min(size, 4 - n), value);
    }

    private boolean targetsBus0Function() {
        return (address & ENABLE) != 0 && ((address >>> 16) & 0xff) == 0;
    }

    private int devfn() {
        return (address >>> 8) & 0xff;
    }

    private int register() {
        return address & 0xfc;
    }

    public int configAddress() {
        return address;
    }

    // ---- snapshot

    @Override
    public void saveState(StateWriter out) {
        out.i32(address).i32(resetControl).part(bus);
    }

    @Override
    public void loadState(StateReader in) {
        address = in.i32();
        resetControl = in.range(0, 0xff, "reset control");
        in.part(bus, "bus");
    }
}
